/**
 * A copy checked against its source in one request: per table, the row count and, per column,
 * how many values of each storage class it holds, their total byte length and the total of its
 * numbers, computed by each database itself. Cheap where hashing would read every row over the
 * network; it catches a truncated or short copy, a lost or added row, a value of another type
 * (1.0 arriving as 1), a changed length and a changed number. It cannot see what keeps every
 * column's counts, lengths and totals: a same-length edit of a text, values swapped between rows.
 * Those need the content hash (--thorough). Rowids are left out, as the content hash leaves them out.
 */
import { type Db } from '../db/index.js';
import type { Snapshot, TableInfo } from '../model/index.js';
import { quoteIdent } from '../sql/index.js';
import { type ContentDigest, hashedTables } from './content-hash.js';

/** One line per table: the aggregate row as the database computed it, its terms joined by commas. */
export type TableAggregates = Record<string, string>;

/**
 * Result columns per statement. Each term is its own column (one expression joining them all
 * would pass SQLite's expression-depth limit of 1000 at about 84 columns), and a table with more
 * terms than SQLite returns in one row is read in several statements of the same transaction.
 */
const TERMS_PER_STATEMENT = 500;

function aggregateTerms(table: TableInfo): string[] {
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
  return terms.map((t) => `coalesce(${t}, 0)`);
}

function aggregateStatements(table: TableInfo): string[] {
  const terms = aggregateTerms(table);
  const statements: string[] = [];
  for (let at = 0; at < terms.length; at += TERMS_PER_STATEMENT) {
    statements.push(`SELECT ${terms.slice(at, at + TERMS_PER_STATEMENT).join(', ')} FROM ${quoteIdent(table.name)}`);
  }
  return statements;
}

/**
 * A term as text, the same on every database: counts exactly, totals (floats) to 15 significant
 * digits. A float total's last bits depend on the order of the rows and on the engine's version
 * (SQLite 3.43 began compensated summation), which the server's and this machine's may not share.
 */
const termText = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(15)) || 0) : String(value));

/** Every table's aggregates in one read transaction: one request to a remote database. */
export async function readAggregates(db: Db, tables: TableInfo[]): Promise<TableAggregates> {
  if (tables.length === 0) return {};
  const perTable = tables.map(aggregateStatements);
  const results = await db.readBatch(perTable.flat().map((sql) => ({ sql })));
  const out: TableAggregates = {};
  let next = 0;
  tables.forEach((t, i) => {
    const values: string[] = [];
    for (let k = 0; k < perTable[i].length; k++) {
      const result = results[next++];
      const row = result.rows[0];
      for (let col = 0; col < result.columns.length; col++) values.push(termText(row?.[col]));
    }
    out[t.name] = values.join(',');
  });
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
