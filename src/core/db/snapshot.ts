/**
 * Introspection: a snapshot of the database as it is. Two read batches (schema, then counts),
 * each one round trip in one read transaction, so a remote database costs two requests.
 */
import type { Row } from '@libsql/client';
import type { Db } from './db.js';
import {
  ExitCode,
  type ForeignKey,
  type IndexInfo,
  type PlaintextKeys,
  type SchemaObject,
  type Snapshot,
  type TableInfo,
  type TableKind,
  UserError,
} from '../model/index.js';
import { decodeUtf8, notSha256Hex, quoteIdent, upperHexSql } from '../sql/index.js';
import { findColumn, groupForeignKeys, isBookkeeping, sameName } from './schema-lookups.js';
import { num, str } from './values.js';

function isInternal(name: string): boolean {
  return /^sqlite_/i.test(name) || /^libsql_/i.test(name) || /^_litestream/i.test(name);
}

export async function takeSnapshot(db: Db): Promise<Snapshot> {
  // Every name and DDL text is read as hex and decoded here: one byte sequence that is not
  // valid UTF-8 would make the native driver abort the process when it builds the JS string.
  const [rawList, rawSchema, rawColumns, rawIndexCols, rawIndexList, rawFks, pageSize, pageCount, freePages] = await db.readBatch([
    { sql: `SELECT ${hx('name')}, ${hx('type')} FROM pragma_table_list WHERE schema = 'main'` },
    { sql: `SELECT ${hx('type')}, ${hx('name')}, ${hx('tbl_name')}, ${hx('sql')} FROM sqlite_schema ORDER BY rowid` },
    {
      sql:
        `SELECT ${hx('m.name', 'tbl')}, ${hx('c.name', 'col')} FROM sqlite_schema AS m, pragma_table_info(m.name) AS c ` +
        "WHERE m.type = 'table' ORDER BY m.name, c.cid",
    },
    {
      sql:
        `SELECT ${hx('m.name', 'idx')}, ${hx('c.name', 'col')} FROM sqlite_schema AS m, pragma_index_info(m.name) AS c ` +
        "WHERE m.type = 'index' ORDER BY m.name, c.seqno",
    },
    {
      sql: `SELECT ${hx('l.name', 'idx')}, l.partial AS partial FROM sqlite_schema AS m, pragma_index_list(m.name) AS l ` + "WHERE m.type = 'table'",
    },
    {
      sql:
        `SELECT ${hx('m.name', 'tbl')}, f.id AS id, ${hx('f."table"', 'parent')}, ${hx('f."from"', 'col')}, ${hx('f."to"', 'pcol')}, ${hx('f.on_delete', 'on_delete')} ` +
        "FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
    },
    { sql: 'PRAGMA page_size' },
    { sql: 'PRAGMA page_count' },
    { sql: 'PRAGMA freelist_count' },
  ]);
  const list = decoded(rawList);
  const schema = decoded(rawSchema);
  const columns = decoded(rawColumns);
  const indexCols = decoded(rawIndexCols);
  const indexList = decoded(rawIndexList);
  const fks = decoded(rawFks);

  const kindByName = new Map<string, string>(list.rows.map((r) => [str(r.name), str(r.type)]));
  const columnsByTable = groupBy(columns.rows, 'tbl', 'col');
  const columnsByIndex = groupBy(indexCols.rows, 'idx', 'col');
  const partialIndexes = new Set(indexList.rows.filter((r) => num(r.partial) === 1).map((r) => str(r.idx)));
  const foreignKeys: ForeignKey[] = fks.rows.map((r) => ({
    table: str(r.tbl),
    id: num(r.id),
    parent: str(r.parent),
    from: str(r.col),
    to: r.pcol === null ? null : str(r.pcol),
    onDelete: str(r.on_delete),
  }));

  const tables: TableInfo[] = [];
  const indexes: IndexInfo[] = [];
  const triggers: SchemaObject[] = [];
  const views: SchemaObject[] = [];
  for (const row of schema.rows) {
    const type = str(row.type);
    const name = str(row.name);
    const table = str(row.tbl_name);
    const sql = row.sql === null ? null : str(row.sql);
    if (type === 'table') {
      tables.push({
        name,
        kind: tableKind(name, kindByName.get(name)),
        sql,
        columns: (columnsByTable.get(name) ?? []).filter((c): c is string => c !== null),
        rows: null,
      });
    } else if (type === 'index') {
      indexes.push({
        name,
        table,
        sql,
        columns: columnsByIndex.get(name) ?? [],
        unique: sql === null ? true : /^\s*create\s+unique/i.test(sql),
        partial: partialIndexes.has(name),
      });
    } else if (type === 'trigger') {
      triggers.push({ name, table, sql });
    } else if (type === 'view') {
      views.push({ name, table, sql });
    }
  }

  const countable = tables.filter((t) => t.kind === 'plain' || t.kind === 'internal' || t.kind === 'bookkeeping');
  const users = tables.find((t) => sameName(t.name, 'users') && t.kind === 'plain');
  const keyColumn = users ? (findColumn(users, 'api_key_hash') ?? findColumn(users, 'api_key') ?? null) : null;
  const hasSequence = tables.some((t) => t.name === 'sqlite_sequence');
  const fkGroups = groupForeignKeys(foreignKeys);

  const counted = await db.readBatch([
    ...countable.map((t) => ({ sql: `SELECT count(*) AS n FROM ${quoteIdent(t.name)}` })),
    ...(users && keyColumn ? [{ sql: plaintextKeysSql(users.name, keyColumn) }] : []),
    ...(hasSequence ? [{ sql: 'SELECT name, seq FROM sqlite_sequence' }] : []),
    ...fkGroups.map((g) => ({
      sql: `SELECT count(*) AS n FROM ${quoteIdent(g.table)} WHERE ${g.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' AND ')}`,
    })),
  ]);
  countable.forEach((t, i) => {
    t.rows = num(counted[i].rows[0].n);
  });
  let next = countable.length;
  const plaintextKeys = users && keyColumn ? readPlaintextKeys(keyColumn, counted[next++].rows[0]) : null;
  const sequences: Record<string, number> = {};
  if (hasSequence) for (const r of counted[next++].rows) sequences[str(r.name)] = num(r.seq);
  const referencingRows: Record<string, number> = {};
  for (const g of fkGroups) referencingRows[`${g.table}#${g.id}`] = num(counted[next++].rows[0].n);

  return {
    tables,
    indexes,
    triggers,
    views,
    sequences,
    plaintextKeys,
    foreignKeys,
    referencingRows,
    pageSize: num(pageSize.rows[0].page_size),
    pageCount: num(pageCount.rows[0].page_count),
    freePages: num(freePages.rows[0].freelist_count),
    allowsLegacyAlter: db.target.kind === 'file',
  };
}

function tableKind(name: string, listed: string | undefined): TableKind {
  if (isBookkeeping(name)) return 'bookkeeping';
  if (isInternal(name)) return 'internal';
  if (listed === 'virtual') return 'virtual';
  if (listed === 'shadow') return 'shadow';
  return 'plain';
}

/** `expr` as hex text (NULL stays NULL), under `alias` (default: the column's own name). */
function hx(expr: string, alias = expr.replace(/^.*\./, '').replace(/"/g, '')): string {
  return `CASE WHEN ${expr} IS NULL THEN NULL ELSE hex(${expr}) END AS ${quoteIdent(alias)}`;
}

/** Rows whose hex columns are decoded back to text; text that is not UTF-8 is refused in a sentence. */
function decoded(result: { rows: Row[]; columns: string[] }): { rows: Row[] } {
  const rows = result.rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const column of result.columns) {
      const value = row[column];
      out[column] = typeof value === 'string' && /^[0-9A-F]*$/.test(value) && column !== 'partial' && column !== 'id' ? fromHex(value, row) : value;
    }
    return out as unknown as Row;
  });
  return { rows };
}

function fromHex(hex: string, row: Row): string {
  const text = decodeUtf8(Buffer.from(hex, 'hex'));
  if (text === null) {
    const what = Object.values(row)
      .map((v) =>
        typeof v === 'string'
          ? Buffer.from(v, 'hex')
              .toString('latin1')
              .replace(/[^\x20-\x7e]/g, '?')
              .slice(0, 60)
          : String(v),
      )
      .join(' ');
    throw new UserError(`The schema holds text that is not valid UTF-8 (${what}): schema-wizard cannot name that object safely, so it changes nothing.`, {
      hint: 'Rename the object (or rewrite its DDL) with valid UTF-8 text in sqlite3, then run again.',
      exitCode: ExitCode.usage,
    });
  }
  return text;
}

/**
 * One row that sorts every key that is not a SHA-256 hex digest by what can be done with it.
 * Bytes are inspected as BLOB (CAST), never decoded as text, so no value can trip the driver.
 */
function plaintextKeysSql(table: string, column: string): string {
  const c = quoteIdent(column);
  return (
    `SELECT count(*) AS n, ` +
    `coalesce(sum(typeof(${c}) = 'blob'), 0) AS blob, ` +
    `coalesce(sum(typeof(${c}) = 'text' AND length(CAST(${c} AS BLOB)) = 0), 0) AS empty, ` +
    `coalesce(sum(typeof(${c}) = 'text' AND instr(CAST(${c} AS BLOB), x'00') > 0), 0) AS nul, ` +
    `coalesce(sum(typeof(${c}) IN ('integer', 'real')), 0) AS other, ` +
    `coalesce(sum(typeof(${c}) = 'text' AND ${upperHexSql(column)}), 0) AS upper ` +
    `FROM ${quoteIdent(table)} WHERE ${notSha256Hex(column)}`
  );
}

function readPlaintextKeys(column: string, row: Row): PlaintextKeys {
  const count = num(row.n);
  const blob = num(row.blob);
  const empty = num(row.empty);
  const nul = num(row.nul);
  const other = num(row.other);
  const upperHex = num(row.upper);
  return { column, count, hashable: count - blob - empty - nul - other - upperHex, empty, blob, nul, other, upperHex };
}

function groupBy(rows: Row[], key: string, value: string): Map<string, (string | null)[]> {
  const map = new Map<string, (string | null)[]>();
  for (const r of rows) {
    const k = str(r[key]);
    const list = map.get(k) ?? [];
    list.push(r[value] === null ? null : str(r[value]));
    map.set(k, list);
  }
  return map;
}
