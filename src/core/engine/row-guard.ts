/**
 * The last statement of every phase's atomic write: it compares each table's row count with the
 * count the journal INSERT measured at the start of the same transaction, and fails the write
 * (so SQLite rolls the whole phase back) if any differs. A DROP that fired a foreign key action,
 * a trigger that deleted rows, a writer that slipped in: none can commit. The check after the
 * commit stays as a second, independent proof.
 */
import { guardStatement, type Stmt } from '../db/index.js';
import { countedTables, JOURNAL_TABLE } from './journal.js';
import type { ArchivePlan } from './planner.js';
import { quoteIdent } from '../sql/index.js';
import type { Snapshot } from '../model/index.js';

/** The count a table had when the write's journal INSERT ran, bound by table name. */
const COUNT_BEFORE = `(SELECT value FROM json_each((SELECT before_counts FROM ${JOURNAL_TABLE} ORDER BY id DESC LIMIT 1)) WHERE key = ?)`;

export function rowGuard(snapshot: Snapshot, archive: ArchivePlan | null): Stmt {
  const tables = countedTables(snapshot);
  const conditions = tables.map((t) => {
    const counted = archive && archive.table === t.name ? archive.archiveTable : t.name;
    return `(SELECT count(*) FROM ${quoteIdent(counted)}) IS ${COUNT_BEFORE}`;
  });
  return guardStatement(
    'rows',
    conditions.join(' AND ') || '1',
    JOURNAL_TABLE,
    tables.map((t) => t.name),
  );
}

/**
 * The reads a phase's write repeats inside its lock (the journal's before-counts, then the
 * guard's), made once just before it, outside the lock: db.ts's `warmed` says why. One
 * statement, so one call locally.
 */
export function countWarmUp(snapshot: Snapshot): Stmt[] {
  const tables = countedTables(snapshot);
  if (tables.length === 0) return [];
  return [{ sql: `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${quoteIdent(t.name)})`).join(', ')}` }];
}

/**
 * The same proof for a rollback write: tables whose rows come back from an archive must hold
 * exactly the expected count, every other table the count measured at the write's start. A
 * trigger of a recreated learned_patterns that deleted or added rows elsewhere cannot commit.
 */
export function rollbackGuard(snapshot: Snapshot, expectRows: Record<string, number>): Stmt {
  const expected = Object.entries(expectRows);
  const others = countedTables(snapshot).filter((t) => !expected.some(([name]) => name === t.name));
  const conditions = [
    ...others.map((t) => `(SELECT count(*) FROM ${quoteIdent(t.name)}) IS ${COUNT_BEFORE}`),
    ...expected.map(([name]) => `(SELECT count(*) FROM ${quoteIdent(name)}) = ?`),
  ];
  return guardStatement('rows', conditions.join(' AND ') || '1', JOURNAL_TABLE, [...others.map((t) => t.name), ...expected.map(([, n]) => BigInt(n))]);
}
