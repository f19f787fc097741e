/**
 * What restore checks before it replaces a local database file, and what it tells the operator:
 * the real file behind a symlink, who else has it open, a live migration lock, what the
 * replaced file holds that the backup does not (rows written since, another database
 * altogether), and leftovers of killed restores. Nothing here writes to the target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'libsql';
import { type ContentDigest, measureLike } from '../proof/index.js';
import { type Db, takeSnapshot } from '../db/index.js';
import { ExitCode, UserError } from '../model/index.js';
import { describeOwner, holderIsGone, LOCK_TABLE, toOwner } from '../engine/index.js';
import { quoteIdent } from '../sql/index.js';
import type { BackupManifest } from './manifest.js';
import { removeQuietly } from './files.js';

/** The file the application opens: symlinks (of the file or of its directories) resolved. */
export function realTargetPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    // Missing, or a dangling link: follow the links by hand to the file they name.
    let current = file;
    for (let hops = 0; hops < 40; hops++) {
      let link: string;
      try {
        link = fs.readlinkSync(current);
      } catch {
        break;
      }
      current = path.resolve(path.dirname(current), link);
    }
    const dir = path.dirname(current);
    return path.join(fs.existsSync(dir) ? fs.realpathSync(dir) : dir, path.basename(current));
  }
}

/** Other processes on this host with the database (or its -wal/-journal) open, read from /proc. */
export function openersOf(file: string): { pid: number; command: string }[] {
  const watched = new Set(['', '-wal', '-journal', '-shm'].map((s) => file + s));
  // By inode as well as by name: a hard link, or a path renamed since, is the same file.
  let inode: string | null = null;
  try {
    const st = fs.statSync(file);
    inode = `${st.dev}:${st.ino}`;
  } catch {
    inode = null;
  }
  const found: { pid: number; command: string }[] = [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      let same = watched.has(link);
      if (!same && inode && link.startsWith('/')) {
        try {
          const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
          same = `${st.dev}:${st.ino}` === inode;
        } catch {
          same = false;
        }
      }
      if (same) {
        let command = '?';
        try {
          command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // the process ended meanwhile
        }
        found.push({ pid: Number(pid), command });
        break;
      }
    }
  }
  return found;
}

/** Refuses while another process has the file open or a live schema-wizard lock is held in it. */
export function refuseWhileInUse(file: string): void {
  const openers = openersOf(file);
  if (openers.length > 0) {
    throw new UserError(
      `${file} is open in ${openers.length === 1 ? 'another process' : `${openers.length} other processes`} (${openers.map((o) => `${o.command} pid ${o.pid}`).join(', ')}): replacing it now would lose what they write and leave them reading a deleted file. Nothing was touched.`,
      { hint: 'Stop the application services (and any other schema-wizard run) that use this database, then restore.', exitCode: ExitCode.failed },
    );
  }
  const holder = lockHolder(file);
  // An expiry that does not parse counts as not expired: a malformed lock row is never overridden silently.
  const expired = holder ? Date.parse(holder.expiresAt) <= Date.now() : true;
  if (holder && !expired && !holderIsGone(holder, os.hostname())) {
    throw new UserError(
      `Another schema-wizard run holds this database: ${describeOwner(holder)}; restore will not replace it underneath that run. Nothing was touched.`,
      {
        hint: 'Wait for that run to finish; if it crashed on another machine, clear its lock with `schema-wizard unlock --yes`, then restore.',
        exitCode: ExitCode.failed,
      },
    );
  }
}

function lockHolder(file: string) {
  if (!fs.existsSync(file)) return null;
  let conn: InstanceType<typeof Database> | null = null;
  try {
    conn = new Database(file, { readonly: true, timeout: 1_000 });
    const exists = conn.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(LOCK_TABLE);
    if (!exists) return null;
    const row = conn.prepare(`SELECT * FROM ${LOCK_TABLE}`).get() as Record<string, unknown> | undefined;
    return row ? toOwner(row) : null;
  } catch {
    return null;
  } finally {
    conn?.close();
  }
}

/** The parts of the replaced file a restore must not drop silently. */
export interface ReplacedState {
  mode: number;
  uid: number;
  gid: number;
  journalMode: string;
}

export function replacedState(file: string): ReplacedState | null {
  if (!fs.existsSync(file)) return null;
  const st = fs.statSync(file);
  let journalMode = 'delete';
  try {
    const conn = new Database(file, { readonly: true, timeout: 1_000 });
    try {
      journalMode = String((conn.prepare('PRAGMA journal_mode').get() as Record<string, unknown>).journal_mode);
    } finally {
      conn.close();
    }
  } catch {
    // not readable as a database: nothing to keep but the file's mode and owner
  }
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, journalMode };
}

export interface TableChange {
  table: string;
  /** Rows in the database now, and in the backup. */
  now: number;
  backup: number;
  /** Rows whose rowid lies beyond the backup's last one: written since the backup. */
  newer: number;
}

export interface Comparison {
  /** Tables whose content differs from the backup's (rows written, changed or deleted since). */
  changed: TableChange[];
  /** No sign that the backup comes from this database (no table alike, no user in common, another source). */
  otherDatabase: boolean;
}

/**
 * Compares the database about to be replaced with the backup: its content digest per table
 * against the manifest, and rowids beyond the backup's (with the restored copy attached).
 */
export async function compareWithBackup(
  current: Db,
  currentPath: string,
  restoredCopy: string,
  manifest: BackupManifest,
  displayGiven: string,
): Promise<Comparison> {
  const snapshot = await takeSnapshot(current);
  const digest: ContentDigest = await measureLike(current, snapshot, manifest.content);
  const changed: TableChange[] = [];
  const conn = new Database(currentPath, { readonly: true, timeout: 5_000 });
  let usersInCommon = 0;
  let alike = 0;
  try {
    conn.exec(`ATTACH DATABASE ${sqlString(restoredCopy)} AS backup`);
    const inBackup = new Set((conn.prepare("SELECT name FROM backup.sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    for (const [table, now] of Object.entries(digest.tables)) {
      if (table === 'sqlite_sequence') continue;
      const then = manifest.content.tables[table];
      if (then && then.sha256 === now.sha256) {
        // schema_version holds the same row in every installation: it says nothing about identity.
        if (now.rows > 0 && IDENTITY_TABLES.has(table)) alike++;
        continue;
      }
      if (then && then.rows === now.rows && inBackup.has(table) && sameRows(conn, table)) {
        // Record bytes differ but every row holds the same values: the application rewrote rows
        // (an UPDATE after an ALTER TABLE ADD COLUMN re-encodes them), it did not change them.
        if (now.rows > 0 && IDENTITY_TABLES.has(table)) alike++;
        continue;
      }
      let newer = now.rows;
      if (then && inBackup.has(table)) {
        const t = quoteIdent(table);
        try {
          newer = Number(
            (conn.prepare(`SELECT count(*) AS n FROM main.${t} WHERE rowid > (SELECT coalesce(max(rowid), 0) FROM backup.${t})`).get() as { n: number }).n,
          );
        } catch {
          newer = Math.max(0, now.rows - then.rows);
        }
      }
      changed.push({ table, now: now.rows, backup: then?.rows ?? 0, newer });
    }
    if (inBackup.has('users') && snapshot.tables.some((t) => t.name === 'users')) {
      try {
        usersInCommon = Number((conn.prepare('SELECT count(*) AS n FROM main.users WHERE id IN (SELECT id FROM backup.users)').get() as { n: number }).n);
      } catch {
        usersInCommon = 0;
      }
    }
  } finally {
    conn.close();
  }
  const sameSource = manifest.source?.display === currentPath || manifest.source?.display === displayGiven;
  const empty = Object.values(digest.tables).every((t) => t.rows === 0);
  return { changed, otherDatabase: !empty && !sameSource && alike === 0 && usersInCommon === 0 };
}

/** The table holds the same rowids and values in both files (compared by SQLite, both ways). */
function sameRows(conn: InstanceType<typeof Database>, table: string): boolean {
  const t = quoteIdent(table);
  try {
    // quote() and typeof() per column: compared as exact text, never by a column's collation
    // (NOCASE would call 'ALICE' the same as 'alice') or numerically (1 against 1.0).
    const columns = (
      conn
        .prepare(`SELECT name FROM pragma_table_info(${sqlString(table)})`)
        .raw(true)
        .all() as unknown[][]
    ).map((r) => quoteIdent(String(r[0])));
    const exact = ['rowid', ...columns.flatMap((c) => [`quote(${c})`, `typeof(${c})`])].join(', ');
    const one = conn.prepare(`SELECT count(*) AS n FROM (SELECT ${exact} FROM main.${t} EXCEPT SELECT ${exact} FROM backup.${t})`).get() as { n: number };
    const other = conn.prepare(`SELECT count(*) AS n FROM (SELECT ${exact} FROM backup.${t} EXCEPT SELECT ${exact} FROM main.${t})`).get() as { n: number };
    return Number(one.n) === 0 && Number(other.n) === 0;
  } catch {
    return false;
  }
}

/** Tables whose rows are a database's own: equal content in one of them means the same database. */
const IDENTITY_TABLES = new Set(['users', 'memories', 'entities', 'interactions', 'api_usage_tracking', 'learned_patterns']);

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The refusal when the replaced database holds what the backup does not. */
export function newerRowsError(file: string, changed: TableChange[]): UserError {
  const lines = changed.map(
    (c) => `${c.table}: ${c.now} rows now, ${c.backup} in the backup${c.newer > 0 ? `, ${c.newer} written since` : ', rows changed or deleted since'}`,
  );
  return new UserError(`Restoring would throw away what ${file} holds that the backup does not (${lines.join('; ')}). Nothing was touched.`, {
    hint: 'Take a backup of the database as it is first (schema-wizard backup), then restore with --discard-newer to accept losing those rows.',
    exitCode: ExitCode.usage,
  });
}

export function otherDatabaseError(file: string, manifest: BackupManifest): UserError {
  return new UserError(
    `The backup does not look like a backup of ${file}: it was taken from ${manifest.source?.display ?? 'an unknown source'}, and no table or user matches. Nothing was touched.`,
    {
      hint: 'Check --from and --db. If you really mean to put that database here, add --force-other-database (and --discard-newer).',
      exitCode: ExitCode.usage,
    },
  );
}

/**
 * Leftovers of killed restores beside the target: partial copies whose process is gone are
 * removed; replaced files kept aside by earlier restores are listed (they are the operator's).
 */
export function restoreLeftovers(file: string): { removed: string[]; kept: { path: string; bytes: number }[] } {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const removed: string[] = [];
  const kept: { path: string; bytes: number }[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { removed, kept };
  }
  for (const name of names) {
    const partial = new RegExp(`^${escapeRegExp(base)}\\.restore-(\\d+)\\.partial(-journal|-wal|-shm)?$`).exec(name);
    if (partial) {
      const pid = Number(partial[1]);
      if (pid !== process.pid && !alive(pid)) {
        removeQuietly(path.join(dir, name));
        removed.push(path.join(dir, name));
      }
      continue;
    }
    if (name.startsWith(`${base}.replaced-`) && !/-(journal|wal|shm)$/.test(name)) {
      try {
        kept.push({ path: path.join(dir, name), bytes: fs.statSync(path.join(dir, name)).size });
      } catch {
        // removed meanwhile
      }
    }
  }
  return { removed, kept };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
