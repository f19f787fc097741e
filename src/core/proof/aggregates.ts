/**
 * A copy checked against its source in one request: per table, the row count and, per column,
 * how many values of each storage class it holds, their total byte length and the total of its
 * numbers, computed by each database itself. Cheap where hashing would read every row over the
 * network; it catches a truncated or short copy, a value of another type (1.0 arriving as 1), a
 * changed length and a changed number. A same-length edit of a text needs the content hash
 * (--thorough). Rowids are left out, as the content hash leaves them out.
 */
import { type Db } from '../db/index.js';
import type { TableInfo } from '../model/index.js';
import { quoteIdent } from '../sql/index.js';
import { type ContentDigest, hashedTables } from './content-hash.js';
import type { Snapshot } from '../model/index.js';

/** One line per table: the aggregate row as the database computed it. */
export type TableAggregates = Record<string, string>;

function aggregateSql(table: TableInfo): string {
  const terms = ['count(*)'];
  for (const column of table.columns) {
    const c = quoteIdent(column);
    terms.push(
      `count(${c})`,
      `sum(typeof(${c}) = 'integer')`,
      `sum(typeof(${c}) = 'real')`,
      `sum(typeof(${c}) = 'blob')`,
      `total(length(CAST(${c} AS BLOB)))`,
      `total(CASE WHEN typeof(${c}) IN ('integer', 'real') THEN ${c} END)`,
    );
  }
  // One text value per table: the same expression on both sides, compared as text.
  return `SELECT ${terms.map((t) => `coalesce(${t}, 0)`).join(` || ',' || `)} AS a FROM ${quoteIdent(table.name)}`;
}

/** Every table's aggregates in one read transaction: one request to a remote database. */
export async function readAggregates(db: Db, tables: TableInfo[]): Promise<TableAggregates> {
  if (tables.length === 0) return {};
  const results = await db.readBatch(tables.map((t) => ({ sql: aggregateSql(t) })));
  const out: TableAggregates = {};
  tables.forEach((t, i) => (out[t.name] = String(results[i].rows[0]?.a ?? '')));
  return out;
}

/** Each table whose aggregates differ, in words; empty when the copy matches. */
export function aggregateDifferences(source: TableAggregates, copy: TableAggregates): string[] {
  const problems: string[] = [];
  for (const [table, expected] of Object.entries(source)) {
    const actual = copy[table];
    if (actual === undefined) problems.push(`${table} missing`);
    else if (actual !== expected) {
      const [rowsExpected, rowsActual] = [expected.split(',')[0], actual.split(',')[0]];
      problems.push(rowsExpected !== rowsActual ? `${table}: ${rowsActual} rows, expected ${rowsExpected}` : `${table}: values differ`);
    }
  }
  for (const table of Object.keys(copy)) if (!(table in source)) problems.push(`${table} unexpected`);
  return problems;
}

/**
 * A remote database's digest with the server's aggregates of its data tables attached (one
 * request, unless `known` already holds them): what verify compares later in one request.
 * Local digests are returned as they are; the file worker proves a local file in full.
 */
export async function withAggregates(db: Db, snapshot: Snapshot, digest: ContentDigest, known?: TableAggregates): Promise<ContentDigest> {
  if (db.target.kind !== 'remote') return digest;
  const tables = hashedTables(snapshot);
  const all = known && tables.every((t) => t.name in known) ? known : await readAggregates(db, tables);
  return { ...digest, aggregates: Object.fromEntries(tables.map((t) => [t.name, all[t.name]])) };
}
