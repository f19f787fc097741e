/**
 * Takes a backup and proves it before it counts: a `db` copy (VACUUM INTO, consistent while the
 * application reads) passes integrity_check and holds the same rows as the source; a `sql` dump
 * is loaded into a scratch database that must hold the same rows too. Only then is the file
 * renamed into place with its manifest and .sha256; on any failure the partial file is removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BackupProvider, LOCK_TABLE } from '../engine/index.js';
import {
  aggregateDifferences,
  bookkeepingDigest,
  compareDigests,
  type ContentDigest,
  digestDatabase,
  hashedTables,
  readAggregates,
  runFileJob,
  withAggregates,
  schemaDigest,
} from '../proof/index.js';
import { type Db, fileUrlOf, guideTables, namedIndexes, openDb, takeSnapshot, type Target, userTriggers } from '../db/index.js';
import { type BackupRef, type Emit, ExitCode, isDiskFull, type Snapshot, type TableInfo, UserError } from '../model/index.js';
import { writeDump } from './dump.js';
import { backupWriteError, ensureWritableDir, freshBackupPath, fsyncDir, fsyncFile, removeDatabaseFiles, removeQuietly, sha256File } from './files.js';
import { loadDump } from './load.js';
import { writeManifest, type BackupManifest, type BackupRead } from './manifest.js';
import { loadServerDump } from './server-dump.js';

export interface BackupOptions {
  /** Directory for timestamped names (default ./backups). */
  dir: string;
  /** Exact output path instead of a timestamped name. */
  out?: string;
  /** db needs a local file; remote databases are always dumped as sql. */
  format?: 'db' | 'sql';
  toolVersion: string;
  /** integrity_check instead of quick_check on a .db copy. */
  thorough?: boolean;
}

export interface BackupResult {
  ref: BackupRef;
  manifest: BackupManifest;
}

export function backupFormat(target: Target, requested: 'db' | 'sql' | undefined): 'db' | 'sql' {
  if (requested === 'db' && target.kind === 'remote') {
    throw new UserError('A remote database cannot be copied as a .db file (the server refuses VACUUM).', {
      hint: 'Use --format sql (the default for remote databases): a streamed SQL dump.',
    });
  }
  return requested ?? (target.kind === 'remote' ? 'sql' : 'db');
}

export function prepareBackup(options: BackupOptions): void {
  if (options.out !== undefined && (options.out.trim() === '' || /[\\/]$/.test(options.out))) {
    throw new UserError(`--out must name a file, not ${options.out.trim() === '' ? 'an empty path' : `the directory ${options.out}`}.`, {
      hint: 'Give a file path (--out backups/memory-before.db), or --backup-dir DIR for a named backup in DIR.',
      exitCode: ExitCode.usage,
    });
  }
  removeAbandonedPartials(options.out ? path.dirname(path.resolve(options.out)) : options.dir);
  if (options.out) {
    if (fs.existsSync(options.out)) {
      throw new UserError(`${options.out} already exists; a backup never overwrites a file.`, { hint: 'Choose a new --out path.' });
    }
    ensureWritableDir(path.dirname(path.resolve(options.out)));
  } else {
    ensureWritableDir(options.dir);
  }
}

export async function takeBackup(db: Db, snapshot: Snapshot, options: BackupOptions, emit: Emit): Promise<BackupResult> {
  const format = backupFormat(db.target, options.format);
  prepareBackup(options);
  const file = path.resolve(options.out ?? freshBackupPath(options.dir, format));
  // The pid in the name lets a later run recognise (and remove) what a killed run left behind.
  const partial = `${file}.${process.pid}.partial`;
  try {
    let sourceDigest: ContentDigest;
    let sha256: string;
    let trees: ContentDigest | undefined;
    let bookkeeping: ContentDigest | undefined;
    let read: BackupRead = { via: 'page-copy' };
    if (format === 'db') {
      let pagesReadBy: 'file' | 'engine';
      ({
        digest: sourceDigest,
        sha256,
        trees,
        pagesReadBy,
      } = await copyAndVerify(db, snapshot, partial, options.thorough ? 'integrity_check' : 'quick_check', emit));
      read = { via: 'page-copy', pagesReadBy };
    } else {
      const viaServer = db.target.kind === 'remote' ? await fromServerDump(db, snapshot, file, partial, options, emit) : null;
      if (viaServer?.taken) {
        ({ digest: sourceDigest, bookkeeping, sha256 } = viaServer.taken);
        read = { via: 'server-dump', bytes: viaServer.bytes };
      } else {
        if (viaServer) emit({ type: 'warning', message: `The server's dump was not used: ${viaServer.why}; reading the database page by page instead.` });
        const progress = progressReporter(emit, hashedRowTotal(snapshot), 'rows');
        ({ digest: sourceDigest, bookkeeping } = await dumpAndVerify(db, snapshot, partial, (n) => progress(n)));
        sourceDigest = await withAggregates(db, snapshot, sourceDigest);
        read = { via: 'paged-reads', ...(viaServer ? { why: viaServer.why } : {}) };
        fsyncFile(partial);
        sha256 = await sha256File(partial);
      }
    }
    const bytes = fs.statSync(partial).size;
    fs.renameSync(partial, file);
    fsyncDir(path.dirname(file));
    const manifest: BackupManifest = {
      tool: 'schema-wizard',
      toolVersion: options.toolVersion,
      format,
      file: path.basename(file),
      bytes,
      sha256,
      createdAt: new Date().toISOString(),
      source: { kind: db.target.kind, display: db.target.display, name: db.target.name },
      rows: Object.values(sourceDigest.tables).reduce((n, t) => n + t.rows, 0),
      content: sourceDigest,
      schema: {
        tables: guideTables(snapshot)
          .map((t) => t.name)
          .sort(),
        indexes: namedIndexes(snapshot).length,
        triggers: userTriggers(snapshot).length,
        views: snapshot.views.length,
      },
      schemaSha256: schemaDigest(snapshot),
      ...(trees ? { trees } : {}),
      ...(bookkeeping ? { bookkeeping } : {}),
      read,
      ...(read.via === 'server-dump' ? { sqlWriter: 'server' as const } : {}),
    };
    writeManifest(file, manifest);
    return { ref: { path: file, sha256, format, bytes, read: read.via, ...(read.why ? { readWhy: read.why } : {}) }, manifest };
  } catch (error) {
    removeDatabaseFiles(partial);
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code)) throw backupWriteError(file, error);
    if (isDiskFull(error)) throw backupWriteError(file, Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    throw error;
  }
}

/**
 * Every page under one read transaction into a private file (page-copy.ts), hashed as it
 * streams; then proven: the file read back has that hash, passes quick_check (integrity_check
 * with --thorough), and its record digest becomes the run's content proof. All of it in the file
 * worker, with progress in pages, then rows.
 */
async function copyAndVerify(
  db: Db,
  snapshot: Snapshot,
  partial: string,
  pragma: 'quick_check' | 'integrity_check',
  emit: Emit,
): Promise<{ digest: ContentDigest; sha256: string; trees: ContentDigest; pagesReadBy: 'file' | 'engine' }> {
  const source = db.target.path;
  if (!source) throw new Error('a .db backup needs a local file');
  const rows = progressReporter(emit, hashedRowTotal(snapshot), 'rows');
  const pages = progressReporter(emit, 0, 'pages');
  let hashedSoFar = 0;
  const job = runFileJob({ type: 'backup', source, dest: partial, tables: hashedTables(snapshot).map((t) => t.name), pragma, exceptTable: LOCK_TABLE }, (p) => {
    if (p.stage === 'copy') pages(p.done, p.total);
    else {
      rows(p.done - hashedSoFar);
      hashedSoFar = p.done;
    }
  });
  try {
    const { copy, digest, trees } = await job.done;
    if (copy.why) emit({ type: 'warning', message: `The pages were read through the engine: ${copy.why}.` });
    return { digest, sha256: copy.sha256, trees, pagesReadBy: copy.readBy };
  } finally {
    job.stop();
  }
}

/**
 * The remote database through the server's dump (one request), kept as the backup file exactly
 * as the server wrote it (sqld's format, which sqlite3 and restore both load). It counts only
 * once the same text, loaded into a scratch file beside it, holds the server's schema and the
 * per-table aggregates the server computes in one more request (every row's hash too with
 * --thorough), and passes quick_check (integrity_check with --thorough). The scratch file's
 * value digest is the backup's content proof, which a restore must reproduce. Returns why it was
 * not used (no endpoint, refused, cut, or not matching), with nothing left at `partial`: the
 * caller then pages.
 */
async function fromServerDump(
  db: Db,
  snapshot: Snapshot,
  file: string,
  partial: string,
  options: BackupOptions,
  emit: Emit,
): Promise<{ taken: { digest: ContentDigest; bookkeeping: ContentDigest; sha256: string }; bytes: number } | { taken: null; why: string }> {
  const scratchFile = `${file}.scratch.${process.pid}.partial`;
  const started = performance.now();
  let said = 0;
  let kept = false;
  // The server computes its aggregates while its dump streams in (the one more request, on its
  // own connection). A write landing between the two shows as a difference: the dump is not used.
  const serverAggregates = readAggregates(db, checkedTables(snapshot));
  serverAggregates.catch(() => undefined);
  try {
    const loaded = await loadServerDump(db.target, partial, scratchFile, {
      connectTimeoutMs: 10_000,
      onProgress: (bytes, statements) => {
        // At most four a second: chunks arrive far more often than that.
        const now = performance.now();
        if (now - said < 250) return;
        said = now;
        const ratePerSec = Math.round(bytes / Math.max(0.001, (now - started) / 1000));
        emit({ type: 'backup-progress', done: bytes, total: null, unit: 'bytes', ratePerSec, etaSec: null, statements });
      },
    });
    if (!loaded.loaded) return { taken: null, why: loaded.why };
    const scratch = await openDb({
      kind: 'file',
      url: fileUrlOf(scratchFile),
      display: "the server's dump",
      name: path.basename(scratchFile),
      path: scratchFile,
    });
    try {
      const copy = await takeSnapshot(scratch);
      if (schemaDigest(copy) !== schemaDigest(snapshot)) return { taken: null, why: "the dump's schema differs from the database's" };
      const differences = aggregateDifferences(await serverAggregates, await readAggregates(scratch, checkedTables(copy)));
      if (differences.length > 0) return { taken: null, why: `the dump does not match the database (${differences.slice(0, 3).join('; ')})` };
      if (options.thorough) {
        const changed = compareDigests(await digestDatabase(db, snapshot), await digestDatabase(scratch, copy));
        if (changed.length > 0) return { taken: null, why: `the dump's rows differ from the database's (${changed.map((d) => d.table).join(', ')})` };
      }
      await assertIntegrity(scratch, "the server's dump loaded", options.thorough ? 'integrity_check' : 'quick_check');
      // Its rows are read once more for the digest: progress in rows, so the screen moves.
      const rows = progressReporter(emit, hashedRowTotal(copy), 'rows');
      const digest = await digestDatabase(scratch, copy, (n) => rows(n));
      const bookkeeping = await bookkeepingDigest(scratch, copy);
      kept = true;
      return {
        taken: { digest: await withAggregates(db, snapshot, digest, await serverAggregates), bookkeeping, sha256: loaded.sha256 },
        bytes: loaded.bytes,
      };
    } finally {
      scratch.close();
    }
  } finally {
    removeDatabaseFiles(scratchFile);
    if (!kept) removeQuietly(partial);
  }
}

/** What the aggregates compare: every table with rows of its own, FTS shadows included, the lock table aside. */
function checkedTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter(
    (t) =>
      (t.kind === 'plain' || t.kind === 'shadow' || t.kind === 'bookkeeping' || t.name === 'sqlite_sequence') &&
      t.name.toLowerCase() !== LOCK_TABLE.toLowerCase(),
  );
}

/** Streams the dump (hashing the very rows written), then loads it into scratch and compares. */
async function dumpAndVerify(
  db: Db,
  snapshot: Snapshot,
  partial: string,
  progress: (n: number) => void,
): Promise<{ digest: ContentDigest; bookkeeping: ContentDigest }> {
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let digest: ContentDigest;
  let bookkeeping: ContentDigest;
  try {
    ({ digest, bookkeeping } = await Promise.race([writeDump(db, snapshot, out, progress), failed]));
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
  } catch (error) {
    out.destroy();
    throw error;
  }
  const countsNow = await takeSnapshot(db);
  for (const [table, d] of Object.entries(digest.tables)) {
    const now = countsNow.tables.find((t) => t.name === table)?.rows;
    if (now !== d.rows) throw changedWhileBackingUp(`${table} had ${d.rows} rows when dumped and ${now ?? 'none'} now`);
  }
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-verify-'));
  try {
    const scratchFile = path.join(scratchDir, 'verify.db');
    fs.writeFileSync(scratchFile, '');
    const scratch = await openDb({
      kind: 'file',
      url: fileUrlOf(scratchFile),
      display: 'the dump loaded for verification',
      name: 'verify.db',
      path: scratchFile,
    });
    try {
      await loadDump(scratch, partial);
      await assertIntegrity(scratch, 'the loaded dump');
      const loaded = await takeSnapshot(scratch);
      assertSameContent(digest, await digestDatabase(scratch, loaded), 'the dump');
      assertSameContent(bookkeeping, await bookkeepingDigest(scratch, loaded), 'the dump');
      return { digest, bookkeeping };
    } finally {
      scratch.close();
    }
  } finally {
    fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

export async function assertIntegrity(db: Db, what: string, pragma: 'integrity_check' | 'quick_check' = 'integrity_check'): Promise<void> {
  const rows = await db.query(`PRAGMA ${pragma}`);
  const messages = rows.map((r) => String(Object.values(r)[0]));
  if (!(messages.length === 1 && messages[0] === 'ok')) {
    throw new UserError(`${pragma} failed on ${what}: ${messages.slice(0, 3).join('; ')}`, {
      hint: 'The backup is not usable; nothing was changed.',
      exitCode: ExitCode.failed,
    });
  }
}

export function assertSameContent(expected: ContentDigest, actual: ContentDigest, what: string): void {
  const problems = compareDigests(expected, actual).map((d) =>
    d.is === 'missing'
      ? `${d.table} missing`
      : d.is === 'added'
        ? `${d.table} unexpected`
        : d.is === 'rows'
          ? `${d.table}: ${d.actual!.rows} rows, expected ${d.expected!.rows}`
          : `${d.table}: content differs`,
  );
  if (problems.length > 0) throw changedWhileBackingUp(`${what} does not match the source: ${problems.slice(0, 5).join('; ')}`);
}

function changedWhileBackingUp(detail: string): UserError {
  return new UserError(`Backup verification failed: ${detail}.`, {
    hint: 'Stop the application services that write to the database, then run again.',
    exitCode: ExitCode.failed,
  });
}

function hashedRowTotal(snapshot: Snapshot): number {
  return hashedTables(snapshot).reduce((n, t) => n + (t.rows ?? 0), 0);
}

/**
 * Progress events with rate and ETA, at most four a second. Rows are counted in deltas; pages
 * arrive as a running count with their total (the page count is known once the copy starts).
 */
function progressReporter(emit: Emit, rowTotal: number, unit: 'rows' | 'pages'): (n: number, total?: number) => void {
  const started = performance.now();
  let done = 0;
  let last = 0;
  return (n, total) => {
    const all = unit === 'rows' ? rowTotal : (total ?? 0);
    // The record digest walks index b-trees too, past the table rows counted up front: never over 100%.
    done = Math.min(unit === 'rows' ? done + n : n, all > 0 ? all : Infinity);
    const now = performance.now();
    if (now - last < 250 && done < all) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    emit({ type: 'backup-progress', done, total: all, unit, ratePerSec: Math.round(rate), etaSec: rate > 0 ? Math.max(0, (all - done) / rate) : null });
  };
}

/** Partial files of backup runs whose process is gone (killed mid-backup). */
function removeAbandonedPartials(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const pid = /\.(\d+)\.partial$/.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') removeQuietly(path.join(dir, name));
    }
  }
}

/** The automatic backup before apply/rollback. */
export function backupProvider(options: BackupOptions): BackupProvider {
  return {
    prepare: async () => prepareBackup(options),
    take: async (db, snapshot, emit) => {
      const { ref, manifest } = await takeBackup(db, snapshot, options, emit);
      return { ref, digest: manifest.content };
    },
  };
}
