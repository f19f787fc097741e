// `GET /dump` as sqld (libsql-server) serves it, so the client's server-dump path meets the same
// text it meets in production: sqld's exporter is a port of the sqlite3 shell's .dump, with its own
// quirks, reproduced here on purpose:
//   - `PRAGMA foreign_keys=OFF;` and `BEGIN TRANSACTION;`, then every table with SQL in sqlite_schema
//     order (sqlite_sequence last): `CREATE TABLE IF NOT EXISTS ...;` and its rows as
//     `INSERT INTO name VALUES(...);`, a virtual table as `PRAGMA writable_schema=ON;` plus an INSERT
//     into sqlite_schema, its shadow tables as ordinary tables with their rows; sqlite_sequence as
//     `DELETE FROM sqlite_sequence;` and its rows; then every index, trigger and view; `COMMIT;`.
//   - rowids are written for every rowid table with `?preserve_row_ids=true`; without it, only for a
//     table whose single INTEGER key is not the rowid (INTEGER PRIMARY KEY DESC), and any other rowid
//     table gets new rowids in scan order;
//   - a REAL is written the way Rust prints an f64: its shortest digits, never an exponent, and an
//     integral value without a decimal point (1.0 becomes `1`); text with a quote doubled, newlines
//     and carriage returns through replace(..., char(10)); BLOBs as X'hex'.
// Everything is read in one read transaction on a connection of its own, streamed as it is written.

import Database from 'libsql';

const KEYWORDS = new Set(
  (
    'abort action add after all alter always analyze and as asc attach autoincrement before begin between by cascade case cast check ' +
    'collate column commit conflict constraint create cross current current_date current_time current_timestamp database default ' +
    'deferrable deferred delete desc detach distinct do drop each else end escape except exclude exclusive exists explain fail filter ' +
    'first following for foreign from full generated glob group groups having if ignore immediate in index indexed initially inner ' +
    'insert instead intersect into is isnull join key last left like limit match materialized natural no not nothing notnull null ' +
    'nulls of offset on or order others outer over partition plan pragma preceding primary query raise range recursive references ' +
    'regexp reindex release rename replace restrict returning right rollback row rows savepoint select set table temp temporary then ' +
    'ties to transaction trigger unbounded union unique update using vacuum values view virtual when where window with without'
  ).split(' '),
);

/** A name quoted only when it must be: not a plain word, or a keyword. */
function quoted(name) {
  if (name === '') return name;
  if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name) || KEYWORDS.has(name.toLowerCase())) return `"${name}"`;
  return name;
}

/** Rust's `{}` for f64: the shortest digits that read back as the same double, written out without an exponent. */
export function rustFloat(x) {
  if (x === Infinity) return '1e999';
  if (x === -Infinity) return '-1e999';
  if (Number.isNaN(x)) return 'NaN';
  const text = Object.is(x, -0) ? '-0' : String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, whole, fraction = '', exp] = m;
  const digits = whole + fraction;
  const point = whole.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function unusedToken(text, first, second) {
  if (!text.includes(first)) return first;
  if (!text.includes(second)) return second;
  for (let i = 0; ; i++) if (!text.includes(`(${first}${i})`)) return `(${first}${i})`;
}

/** A text literal as the exporter writes it. */
export function textLiteral(text) {
  if (!/['\n\r]/.test(text)) return `'${text}'`;
  const nl = text.includes('\n') ? unusedToken(text, '\\n', '\\012') : null;
  const cr = text.includes('\r') ? unusedToken(text, '\\r', '\\015') : null;
  let body = text.replace(/'/g, "''");
  if (nl) body = body.replace(/\n/g, nl);
  if (cr) body = body.replace(/\r/g, cr);
  let out = `${nl ? 'replace(' : ''}${cr ? 'replace(' : ''}'${body}'`;
  if (cr) out += `,'${cr}',char(13))`;
  if (nl) out += `,'${nl}',char(10))`;
  return out;
}

function valueLiteral(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return rustFloat(value);
  if (typeof value === 'string') return textLiteral(value);
  return `X'${Buffer.from(value).toString('hex')}'`;
}

/** The rowid column the exporter writes, or null (see the header). */
function preservedRowid(db, table, columns, preserveRowids) {
  const keys = columns.filter((c) => c.pk > 0);
  const integerKey = keys.length === 1 && keys[0].type === 'INTEGER';
  const pkIndex = integerKey && db.prepare("SELECT 1 FROM pragma_index_list(?) WHERE origin = 'pk'").get(table);
  if (!preserveRowids && !pkIndex) return null;
  const withoutRowid = Number(db.prepare('SELECT wr FROM pragma_table_list(?)').get(table)?.wr) === 1;
  if (withoutRowid) return null;
  return ['rowid', 'oid'].find((alias) => !columns.some((c) => c.name === alias)) ?? null;
}

/** Writes the dump through `write`, which may return a promise (backpressure) or throw (to stop). */
export async function exportDump(dbPath, write, { preserveRowids = false } = {}) {
  const db = new Database(dbPath, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    db.exec('BEGIN');
    await write('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n');
    let writableSchema = false;
    const tables = db
      .prepare("SELECT name, type, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL ORDER BY tbl_name = 'sqlite_sequence', rowid")
      .all();
    for (const { name, sql } of tables) {
      if (name === 'sqlite_sequence') await write('DELETE FROM sqlite_sequence;\n');
      else if (name.startsWith('sqlite_stat')) await write('ANALYZE sqlite_schema;\n');
      else if (name.startsWith('sqlite_')) continue;
      else if (sql.startsWith('CREATE VIRTUAL TABLE')) {
        if (!writableSchema) await write('PRAGMA writable_schema=ON;\n');
        writableSchema = true;
        await write(`INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','${name}','${name}',0,${textLiteral(sql)});\n`);
        continue;
      } else {
        await write(`${sql.startsWith('CREATE TABLE') ? `CREATE TABLE IF NOT EXISTS ${sql.slice(13)}` : sql};\n`);
      }
      const columns = db.prepare('SELECT name, type, pk FROM pragma_table_info(?)').all(name);
      const rowid = preservedRowid(db, name, columns, preserveRowids);
      const names = columns.map((c) => c.name);
      const head = `INSERT INTO ${quoted(name)}${rowid ? `(${[rowid, ...names.map(quoted)].join(',')})` : ''} VALUES(`;
      const select = `SELECT ${[...(rowid ? [rowid] : []), ...names.map(quoted)].join(',')} FROM ${quoted(name)}`;
      for (const row of db.prepare(select).raw().iterate()) await write(`${head}${row.map(valueLiteral).join(',')});\n`);
    }
    for (const { sql } of db.prepare("SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index','trigger','view')").all()) {
      await write(`${sql};\n`);
    }
    if (writableSchema) await write('PRAGMA writable_schema=OFF;\n');
    await write('COMMIT;\n');
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}
