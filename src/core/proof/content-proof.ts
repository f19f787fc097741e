/**
 * Which content proof a database gets. A local file is proven by its record digest
 * (record-digest.ts), computed in the file worker: bounded memory whatever the values, and off
 * the main thread. A remote database is proven by its value digest (content-hash.ts), the only
 * one its rows can give over the protocol. A digest recorded earlier (a journal entry, a
 * manifest, possibly of an earlier version) is always compared with one of its own kind.
 */
import { compareDigests, digestDatabase, digestTable, hashedTables, type ContentDigest, type TableDigest } from './content-hash.js';
import { type Db, rowCounts, takeSnapshot } from '../db/index.js';
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

/** Measures the database's content in the kind asked for (records need a local file). */
export async function measureContent(
  db: Db,
  snapshot: Snapshot,
  kind: DigestKind = preferredKind(db),
  onRows?: (rows: number) => void,
): Promise<ContentDigest> {
  const file = localPath(db);
  if (kind === 'records') {
    if (!file) throw new Error('a record digest needs a local file');
    const job = runFileJob({ type: 'records', path: file, tables: hashedTables(snapshot).map((t) => t.name) }, rowDeltas(onRows));
    return job.done;
  }
  if (file) return runFileJob({ type: 'values', path: file, snapshot }).done;
  return digestDatabase(db, snapshot, onRows);
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

/**
 * The cheap half of changesSince: each table's row count now (COUNT(*), no value read) against
 * the count in a digest recorded earlier, in the same words. An unattended window checks this
 * before each phase and compares the content itself once, after the last phase: nobody pauses
 * between its backup and its writes, and a row added or deleted is what a writer that slipped
 * in leaves. A same-count edit is found by that last comparison.
 */
export async function countChangesSince(db: Db, before: ContentDigest, then = 'in the backup'): Promise<string[]> {
  const counts = rowCounts(await takeSnapshot(db));
  return Object.entries(before.tables)
    .filter(([table, digest]) => table !== 'sqlite_sequence' && counts[table] !== undefined && counts[table] !== digest.rows)
    .map(([table, digest]) => `${table}: ${counts[table]} rows now, ${digest.rows} ${then}`);
}
