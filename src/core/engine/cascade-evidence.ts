/**
 * The renamed archive keeps learned_patterns' foreign key, so a user the application deletes
 * after Phase 1 takes their archived rows with them (ON DELETE CASCADE), as the table would
 * have. Rollback accepts such a loss only with evidence: Phase 1 records how many archived rows
 * each parent key had; at rollback every key that lost rows must be gone from the parent table,
 * none may have gained rows, and the rows without a parent key must all be there. Anything else
 * is refused (restore from the backup).
 */
import { type Db, sameName } from '../db/index.js';
import type { CascadeCounts, Snapshot } from '../model/index.js';
import { quoteIdent } from '../sql/index.js';
export type { CascadeCounts } from '../model/index.js';

/** Above this many distinct keys nothing is recorded (the journal row stays small): a loss is then refused. */
const MAX_KEYS = 20_000;

/** The single-column ON DELETE CASCADE key of `table` to a parent, if it has one. */
function cascadeKey(snapshot: Snapshot, table: string) {
  const keys = snapshot.foreignKeys.filter((k) => sameName(k.table, table) && /CASCADE/i.test(k.onDelete));
  const ids = new Set(keys.map((k) => k.id));
  if (keys.length !== 1 || ids.size !== 1 || !keys[0].to) return null;
  return keys[0];
}

export async function readCascadeCounts(db: Db, snapshot: Snapshot, table: string): Promise<CascadeCounts | null> {
  const key = cascadeKey(snapshot, table);
  if (!key) return null;
  const counts = await countsOf(db, table, key.from, MAX_KEYS + 1);
  if (counts.nullRows < 0 || counts.counts.length > MAX_KEYS) return null;
  return { column: key.from, parent: key.parent, parentColumn: key.to!, ...counts };
}

/** Rows per key (one request; `limit` bounds what comes back, the NULL key included). */
async function countsOf(db: Db, table: string, column: string, limit?: number): Promise<{ counts: [string | number, number][]; nullRows: number }> {
  const col = quoteIdent(column);
  const rows = await db.query(
    `SELECT ${col} AS k, count(*) AS n FROM ${quoteIdent(table)} GROUP BY ${col}${limit !== undefined ? ` ORDER BY ${col} IS NULL DESC LIMIT ${limit + 1}` : ''}`,
  );
  const counts: [string | number, number][] = [];
  let nullRows = 0;
  for (const r of rows) {
    if (r.k === null) nullRows = Number(r.n);
    else if (typeof r.k === 'string' || (typeof r.k === 'bigint' && r.k <= BigInt(Number.MAX_SAFE_INTEGER) && r.k >= -BigInt(Number.MAX_SAFE_INTEGER)))
      counts.push([typeof r.k === 'bigint' ? Number(r.k) : r.k, Number(r.n)]);
    // A key that JSON cannot carry exactly (a BLOB, a REAL, a huge integer): no evidence at all.
    else return { counts: [], nullRows: -1 };
  }
  return { counts, nullRows };
}

/** True when every row the archive lost belonged to a parent key that no longer exists. */
export async function cascadeExplains(db: Db, archiveTable: string, recorded: CascadeCounts): Promise<boolean> {
  const now = await countsOf(db, archiveTable, recorded.column);
  if (now.nullRows < 0 || now.nullRows !== recorded.nullRows) return false;
  const then = new Map(recorded.counts.map(([k, n]) => [JSON.stringify(k), n]));
  for (const [k, n] of now.counts) {
    const before = then.get(JSON.stringify(k));
    if (before === undefined || n > before) return false;
  }
  const current = new Map(now.counts.map(([k, n]) => [JSON.stringify(k), n]));
  for (const [k, before] of recorded.counts) {
    if ((current.get(JSON.stringify(k)) ?? 0) === before) continue;
    const value = typeof k === 'number' && Number.isInteger(k) ? BigInt(k) : k;
    const [{ n }] = await db.query(`SELECT count(*) AS n FROM ${quoteIdent(recorded.parent)} WHERE ${quoteIdent(recorded.parentColumn)} = ?`, [value]);
    if (Number(n) > 0) return false;
  }
  return true;
}
