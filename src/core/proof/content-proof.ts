/**
 * Which content proof a database gets. A local file is proven by its record digest
 * (record-digest.ts), computed in the file worker: bounded memory whatever the values, and off
 * the main thread. A remote database is proven by its value digest (content-hash.ts), the only
 * one its rows can give over the protocol. A digest recorded earlier (a journal entry, a
 * manifest, possibly of an earlier version) is always compared with one of its own kind.
 */
import { compareDigests, digestDatabase, digestTable, hashedTables, type ContentDigest, type TableDigest } from './content-hash.js';
import { type CommitMark, type Db, takeSnapshot } from '../db/index.js';
import { runFileJob } from './file-worker.js';
import type { Snapshot, TableInfo } from '../model/index.js';

export type DigestKind = 'records' | 'values';

export function kindOf(digest: ContentDigest): DigestKind {
  return digest.kind === 'records' ? 'records' : 'values';
}

function localPath(db: Db): string | null {
  return db.target.kind === 'file' && db.target.path ? db.target.path : null;
}

/** The proof this database gets now: records for a local file, values for a remote one. */
export function preferredKind(db: Db): DigestKind {
  return localPath(db) ? 'records' : 'values';
}

/**
 * The last content measured on a local file, with the commit mark taken before the measurement
 * began. While nobody (this run included) has committed since, the file's content is what was
 * measured, so the same measurement is returned instead of reading every row again: the wizard's
 * check before each phase follows the backup or the verification just made. Any commit, a file
 * put in its place, or the client closed (a restore) makes it stale.
 */
const lastMeasured = new WeakMap<Db, { mark: CommitMark; kind: DigestKind; digest: ContentDigest }>();

/** Records a measurement made after `mark` (the backup's digest), for measureContent to reuse. */
export function rememberContent(db: Db, mark: CommitMark | null, digest: ContentDigest): void {
  if (mark) lastMeasured.set(db, { mark, kind: kindOf(digest), digest });
}

function reusable(db: Db, kind: DigestKind, tables: string[]): ContentDigest | null {
  const kept = lastMeasured.get(db);
  if (!kept || kept.kind !== kind || !db.unchangedSince(kept.mark)) return null;
  const measured = Object.keys(kept.digest.tables);
  return measured.length === tables.length && tables.every((t) => t in kept.digest.tables) ? kept.digest : null;
}

/** Measures the database's content in the kind asked for (records need a local file). */
export async function measureContent(
  db: Db,
  snapshot: Snapshot,
  kind: DigestKind = preferredKind(db),
  onRows?: (rows: number) => void,
): Promise<ContentDigest> {
  const file = localPath(db);
  if (!file && kind === 'records') throw new Error('a record digest needs a local file');
  if (!file) return digestDatabase(db, snapshot, onRows);
  const tables = hashedTables(snapshot).map((t) => t.name);
  const kept = reusable(db, kind, tables);
  if (kept) return kept;
  const mark = db.commitMark();
  const digest = await measureFile(file, snapshot, kind, tables, onRows);
  rememberContent(db, mark, digest);
  return digest;
}

async function measureFile(file: string, snapshot: Snapshot, kind: DigestKind, tables: string[], onRows?: (rows: number) => void): Promise<ContentDigest> {
  if (kind === 'records') {
    const job = runFileJob({ type: 'records', path: file, tables }, rowDeltas(onRows));
    return job.done;
  }
  return runFileJob({ type: 'values', path: file, snapshot }).done;
}

/** Measures in the kind of `expected`, when this database can give it; else in its own kind. */
export async function measureLike(db: Db, snapshot: Snapshot, expected: ContentDigest): Promise<ContentDigest> {
  const kind = kindOf(expected) === 'records' && !localPath(db) ? 'values' : kindOf(expected);
  return measureContent(db, snapshot, kind);
}

/** One table's digest in the given kind (verify's archive check). */
export async function measureTable(db: Db, table: TableInfo, kind: DigestKind): Promise<TableDigest> {
  const file = localPath(db);
  if (kind === 'records' && file) {
    const digest = await runFileJob({ type: 'records', path: file, tables: [table.name] }).done;
    return digest.tables[table.name];
  }
  return digestTable(db, table);
}

/** Worker progress carries running totals; callers count deltas. */
function rowDeltas(onRows?: (rows: number) => void) {
  if (!onRows) return undefined;
  let seen = 0;
  return (p: { done: number }) => {
    onRows(p.done - seen);
    seen = p.done;
  };
}

/**
 * What differs from a digest recorded earlier (the backup's, or the one measured before the first
 * write), one line per table: "memories: 450 rows now, 400 in the backup". Measured in the
 * recorded kind. Tables gone now (learned_patterns once archived), the counter table
 * sqlite_sequence and `except` are not compared.
 */
export async function changesSince(
  db: Db,
  before: ContentDigest,
  except: string[] = [],
  then = 'in the backup',
): Promise<{ changes: string[]; compared: number; now: ContentDigest }> {
  const snapshot = await takeSnapshot(db);
  const now = await measureLike(db, snapshot, before);
  const skipped = (table: string) => table === 'sqlite_sequence' || except.includes(table) || !now.tables[table];
  const changes = compareDigests(before, now)
    .filter((d) => d.is !== 'added' && !skipped(d.table))
    .map((d) =>
      d.is === 'rows' ? `${d.table}: ${d.actual!.rows} rows now, ${d.expected!.rows} ${then}` : `${d.table}: rows changed (${d.actual!.rows} rows, same count)`,
    );
  return { changes, compared: Object.keys(before.tables).filter((t) => !skipped(t)).length, now };
}
