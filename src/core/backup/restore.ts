/**
 * Restore from a verified backup. The backup is checked against its manifest first; a file
 * target is rebuilt beside itself, proven (integrity_check + content hashes equal to the
 * manifest), then swapped in by rename, the replaced file kept aside until the restored one is
 * verified in place. A remote target must be empty unless --replace says otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bookkeepingDigest, compareDigests, type ContentDigest, kindOf, measureContent, measureLike, runFileJob, schemaDigest } from '../proof/index.js';
import { LOCK_TABLE } from '../engine/index.js';
import { type Db, fileUrlOf, guideTables, namedIndexes, openDb, takeSnapshot, type Target } from '../db/index.js';
import { type Emit, ExitCode, type Snapshot, UserError } from '../model/index.js';
import { quoteIdent } from '../sql/index.js';
import { writeDump } from './dump.js';
import { fsyncDir, fsyncFile, removeDatabaseFiles, removeQuietly, removeSideFiles } from './files.js';
import { loadDump } from './load.js';
import { loadServerDumpFile } from './server-dump-loader.js';
import { readVerifiedManifest, type BackupManifest } from './manifest.js';
import { compareWithBackup, newerRowsError, otherDatabaseError, realTargetPath, refuseWhileInUse, replacedState, restoreLeftovers } from './restore-guard.js';
import { assertIntegrity, assertSameContent } from './take.js';

export interface RestoreOptions {
  from: string;
  target: Target;
  replace: boolean;
  emit: Emit;
  /** Accept losing rows the replaced database holds that the backup does not. */
  discardNewer?: boolean;
  /** Accept a backup that shows no sign of coming from this database. */
  forceOtherDatabase?: boolean;
  /** Ctrl+C, SIGTERM, SIGHUP: checked between the steps; the swap never starts once it is raised. */
  signal?: AbortSignal;
}

export interface RestoreResult {
  from: string;
  target: string;
  manifest: BackupManifest;
  rows: number;
  /** Where the replaced database is kept, whole, until the operator removes it. */
  replacedKeptAt: string | null;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const from = path.resolve(options.from);
  options.emit({ type: 'step-started', step: 'restore', label: 'Check the backup against its manifest' });
  const manifest = await readVerifiedManifest(from);
  if (manifest.format === 'db' && manifest.trees) await assertTreesUnaltered(from, manifest.trees);
  options.emit({ type: 'step-started', step: 'restore', label: `Rebuild ${options.target.display} from ${path.basename(from)}` });
  return options.target.kind === 'file' ? restoreFile(from, manifest, options) : restoreRemote(from, manifest, options);
}

async function restoreFile(from: string, manifest: BackupManifest, options: RestoreOptions): Promise<RestoreResult> {
  // The file the application opens, not a symlink to it: the new file is built in its directory
  // and renamed over it there.
  const targetPath = realTargetPath(options.target.path!);
  const leftovers = restoreLeftovers(targetPath);
  for (const removed of leftovers.removed) options.emit({ type: 'warning', message: `removed ${removed}, left by a restore that was killed` });
  if (leftovers.kept.length > 0) {
    options.emit({
      type: 'warning',
      message: `earlier restores kept the databases they replaced: ${leftovers.kept.map((k) => `${k.path} (${formatBytes(k.bytes)})`).join(', ')}; remove them with rm once you no longer need them`,
    });
  }
  refuseWhileInUse(targetPath);
  const original = replacedState(targetPath);
  const partial = `${targetPath}.restore-${process.pid}.partial`;
  removeQuietly(partial);
  try {
    if (manifest.sqlWriter === 'server') {
      // Its lock rows go once it is proven (below): a trigger planted on the lock table must not fire first.
      await loadKeptServerDump(from, partial);
    } else if (manifest.format === 'db') {
      fs.copyFileSync(from, partial);
      fs.chmodSync(partial, 0o600);
      // A page copy holds the lock row of the run that took it: it belongs to that run, not to
      // the database brought back (a later run would have to take it over).
      await withFile(partial, (db) => clearLockRows(db));
    } else {
      fs.writeFileSync(partial, '', { mode: 0o600 });
      await withFile(partial, (db) => loadDump(db, from));
    }
    await withFile(partial, async (db) => {
      await proveContent(db, manifest, 'the restored copy');
      await settleBookkeeping(db, manifest, 'the restored copy');
    });
    if (original) {
      const comparison = await withFile(targetPath, (db) => compareWithBackup(db, targetPath, partial, manifest, options.target.display));
      if (comparison.otherDatabase && !options.forceOtherDatabase) throw otherDatabaseError(targetPath, manifest);
      if (comparison.changed.length > 0) {
        if (!options.discardNewer) throw newerRowsError(targetPath, comparison.changed);
        options.emit({
          type: 'warning',
          message: `--discard-newer: the replaced database held what the backup does not (${comparison.changed.map((c) => `${c.table}: ${c.now} rows now, ${c.backup} in the backup`).join('; ')}); it is kept aside (below)`,
        });
      }
      // The restored file takes the place of the old one: same journal mode, permissions and owner.
      if (original.journalMode.toLowerCase() === 'wal') await withFile(partial, (db) => db.query('PRAGMA journal_mode = WAL'));
      fs.chmodSync(partial, original.mode);
      try {
        fs.chownSync(partial, original.uid, original.gid);
      } catch {
        if (fs.statSync(partial).uid !== original.uid)
          options.emit({
            type: 'warning',
            message: `could not give the restored file its owner back (uid ${original.uid}); only root can: chown ${original.uid}:${original.gid} ${targetPath}`,
          });
      }
    }
    fsyncFile(partial);
    // The rebuild took a while: nobody may have opened the file since, and no stop was asked for.
    refuseWhileInUse(targetPath);
    if (options.signal?.aborted)
      throw new UserError('Interrupted before the swap: the restored copy was removed and the database was not replaced.', {
        hint: 'Run the same restore again when ready.',
        exitCode: ExitCode.interrupted,
      });
  } catch (error) {
    removeDatabaseFiles(partial);
    throw error;
  }

  // Swap so that at every instant the target path holds a whole database (old, then new): the
  // current file is settled (hot journal rolled back, WAL checkpointed into it), kept aside by a
  // hard link, then replaced by one atomic rename. A kill at any moment leaves one or the other.
  let aside: string | null = null;
  if (original) {
    await withFile(targetPath, async (db) => {
      await db.query('PRAGMA wal_checkpoint(TRUNCATE)');
    });
    aside = `${targetPath}.replaced-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${process.pid}`;
    try {
      fs.linkSync(targetPath, aside);
    } catch {
      fs.copyFileSync(targetPath, aside);
    }
  }
  options.emit({ type: 'step-started', step: 'restore', label: 'Swap the restored database in' });
  fs.renameSync(partial, targetPath);
  fsyncDir(path.dirname(targetPath));
  // Side files of the replaced database are empty after the checkpoint; they must not meet the new one.
  removeSideFiles(targetPath);
  try {
    await withFile(targetPath, (db) => proveContent(db, manifest, 'the restored database'));
  } catch (error) {
    // Never leave an unverified database in place: the old one goes back, or the path is empty again.
    if (aside) fs.renameSync(aside, targetPath);
    else removeQuietly(targetPath);
    removeSideFiles(targetPath);
    throw error;
  }
  // The replaced database stays, whole, until the operator removes it.
  return { from, target: targetPath, manifest, rows: manifest.rows, replacedKeptAt: aside };
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

async function restoreRemote(from: string, manifest: BackupManifest, options: RestoreOptions): Promise<RestoreResult> {
  const db = await openDb(options.target);
  try {
    const current = await takeSnapshot(db);
    const existing = current.tables.filter((t) => t.kind !== 'internal' && t.kind !== 'shadow');
    if (existing.length > 0 && !options.replace) {
      throw new UserError(`${options.target.display} is not empty (${existing.length} tables); restore refuses to mix a backup into it.`, {
        hint: 'Restore into an empty database, or pass --replace to drop everything in it first.',
      });
    }
    const dump = manifest.format === 'sql' && manifest.sqlWriter !== 'server' ? from : await dumpForServer(from, manifest);
    try {
      if (existing.length > 0) await dropEverything(db, current);
      await loadDump(db, dump);
    } finally {
      if (dump !== from) fs.rmSync(path.dirname(dump), { recursive: true, force: true });
    }
    // A .db backup's manifest holds a record digest; over the protocol only values can be read,
    // so the backup file's value digest (checked against its manifest first) is what must arrive.
    const expected = kindOf(manifest.content) === 'records' ? await valuesOfProvenBackup(from, manifest) : manifest.content;
    await proveContent(
      db,
      manifest,
      'the restored database',
      'The remote database now holds rows that do not match the backup: run the restore again with --replace, or use another backup.',
      expected,
    );
    if (manifest.bookkeeping) await proveBookkeeping(db, manifest.bookkeeping, 'the restored database');
    return { from, target: options.target.display, manifest, rows: manifest.rows, replacedKeptAt: null };
  } finally {
    db.close();
  }
}

async function valuesOfProvenBackup(from: string, manifest: BackupManifest): Promise<ContentDigest> {
  return withFile(from, async (db) => {
    const snapshot = await takeSnapshot(db);
    assertSameContent(manifest.content, await measureLike(db, snapshot, manifest.content), 'the backup file');
    return measureContent(db, snapshot, 'values');
  });
}

function altered(what: string, detail: string): UserError {
  return new UserError(`${what} was altered after it was taken: ${detail}. Nothing was replaced.`, {
    hint: 'Use another backup; this one cannot be trusted.',
    exitCode: ExitCode.failed,
  });
}

function differences(expected: ContentDigest, actual: ContentDigest): string[] {
  return compareDigests(expected, actual)
    .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))
    .map((d) => (d.is === 'missing' ? `${d.table} is missing` : d.is === 'added' ? `${d.table} was added` : `${d.table} differs`));
}

/** Every b-tree of a .db backup (indexes, journal, FTS shadows; the lock table aside) as its manifest recorded it. */
async function assertTreesUnaltered(file: string, recorded: ContentDigest): Promise<void> {
  const now = await runFileJob({ type: 'trees', path: file, exceptTable: LOCK_TABLE }).done;
  const diff = differences(recorded, now);
  if (diff.length > 0) throw altered(`The backup ${file}`, diff.slice(0, 5).join('; '));
}

/** Our own tables (the journal rollback runs, the archives) as the manifest recorded them. */
async function proveBookkeeping(db: Db, recorded: ContentDigest, what: string): Promise<void> {
  // A lock row planted in a dump would refuse every later run: it never belongs to a restored database.
  await clearLockRows(db);
  const diff = differences(recorded, await bookkeepingDigest(db, await takeSnapshot(db)));
  if (diff.length > 0) throw altered(`The backup behind ${what}`, diff.slice(0, 5).join('; '));
}

/**
 * After the content is proven: our own tables as the manifest recorded them (which clears the lock
 * rows first), or, for a manifest without that digest, only the lock rows cleared.
 */
async function settleBookkeeping(db: Db, manifest: BackupManifest, what: string): Promise<void> {
  if (manifest.bookkeeping) await proveBookkeeping(db, manifest.bookkeeping, what);
  else await clearLockRows(db);
}

async function clearLockRows(db: Db): Promise<void> {
  const [{ n }] = await db.query(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = '${LOCK_TABLE}'`);
  if (Number(n) > 0) await db.execute(`DELETE FROM ${LOCK_TABLE}`);
}

/**
 * What a server is sent: our own dump, in a private directory the caller removes. A .db backup
 * is dumped as it is; the server's own dump kept as a backup is loaded into a local file first,
 * and proven against its manifest there, before anything on the server is dropped.
 */
async function dumpForServer(from: string, manifest: BackupManifest): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-restore-'));
  try {
    let source = from;
    if (manifest.sqlWriter === 'server') {
      source = path.join(dir, 'backup.db');
      await loadKeptServerDump(from, source);
    }
    const dump = path.join(dir, 'backup.sql');
    await withFile(source, async (db) => {
      if (source !== from) {
        await proveContent(db, manifest, 'the backup loaded', 'Nothing on the server was changed; try another backup.');
        await settleBookkeeping(db, manifest, 'the backup loaded');
      }
      const out = fs.createWriteStream(dump, { mode: 0o600 });
      await writeDump(db, await takeSnapshot(db), out, () => undefined);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    });
    if (source !== from) removeDatabaseFiles(source);
    return dump;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The server's dump kept as the backup, loaded by the loader that proved it when it was taken. */
async function loadKeptServerDump(from: string, dest: string): Promise<void> {
  const refused = await loadServerDumpFile(from, dest);
  if (refused) {
    throw new UserError(`${from} cannot be loaded: ${refused}. The backup is truncated or altered; nothing was replaced.`, {
      hint: 'Use another backup; this one cannot be trusted.',
      exitCode: ExitCode.failed,
    });
  }
}

async function dropEverything(db: Db, snapshot: Snapshot): Promise<void> {
  const stmts = [
    ...snapshot.views.map((v) => ({ sql: `DROP VIEW IF EXISTS ${quoteIdent(v.name)}` })),
    ...snapshot.triggers.map((t) => ({ sql: `DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}` })),
    ...snapshot.tables.filter((t) => t.kind === 'virtual').map((t) => ({ sql: `DROP TABLE IF EXISTS ${quoteIdent(t.name)}` })),
    ...snapshot.tables.filter((t) => t.kind === 'plain' || t.kind === 'bookkeeping').map((t) => ({ sql: `DROP TABLE IF EXISTS ${quoteIdent(t.name)}` })),
  ];
  if (snapshot.tables.some((t) => t.name === 'sqlite_sequence')) stmts.push({ sql: 'DELETE FROM sqlite_sequence' });
  await db.load(stmts);
}

/** `manifestContent`: the manifest's content in the kind this database can give (a remote one has no record digest). */
async function proveContent(
  db: Db,
  manifest: BackupManifest,
  what: string,
  hint = 'The previous database was put back (or none was there); try another backup.',
  manifestContent?: ContentDigest,
): Promise<void> {
  await assertIntegrity(db, what, 'quick_check');
  const snapshot = await takeSnapshot(db);
  // Manifests of older versions have no schema digest; their object counts are checked always.
  const counts = {
    tables: guideTables(snapshot)
      .map((t) => t.name)
      .sort(),
    indexes: namedIndexes(snapshot).length,
    triggers: snapshot.triggers.length,
    views: snapshot.views.length,
  };
  const recorded = manifest.schema;
  const countsDiffer =
    !recorded ||
    counts.tables.join(',') !== [...(recorded.tables ?? [])].sort().join(',') ||
    counts.indexes !== recorded.indexes ||
    counts.triggers !== recorded.triggers ||
    counts.views !== recorded.views;
  if (countsDiffer || (manifest.schemaSha256 && schemaDigest(snapshot) !== manifest.schemaSha256)) {
    throw new UserError(
      `Restore verification failed: the schema of ${what} differs from the one its manifest recorded (an object was added, dropped or changed in the backup after it was taken). Nothing was replaced.`,
      {
        hint: 'Use another backup; this one cannot be trusted.',
        exitCode: ExitCode.failed,
      },
    );
  }
  try {
    const expected = manifestContent ?? manifest.content;
    assertSameContent(expected, await measureLike(db, snapshot, expected), what);
  } catch (error) {
    throw new UserError(`Restore verification failed: ${(error as Error).message.replace(/^Backup verification failed: /, '')}`, {
      hint,
      exitCode: ExitCode.failed,
    });
  }
}

async function withFile<T>(file: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb({ kind: 'file', url: fileUrlOf(file), display: file, name: path.basename(file), path: file });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
