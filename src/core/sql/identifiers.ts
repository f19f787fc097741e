/**
 * How SQL names and literals are spelled: identifiers read from a database are always quoted
 * with quoteIdent (values are bound, never pasted); plainIdent keeps a schema's own spelling;
 * normalizeSql compares two spellings of one definition.
 */

/** Quote an identifier for SQLite: "name" with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quote a string literal (only for SQL text written to dump files, never for executed SQL). */
export function quoteText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A name as written in SQL, without its quotes: "x", 'x' and `x` (their quote doubled inside) and [x]. */
export function unquoteName(token: string): string {
  const q = token[0];
  if (q === '"' || q === "'" || q === '`')
    return token
      .slice(1, -1)
      .split(q + q)
      .join(q);
  if (q === '[') return token.slice(1, -1);
  return token;
}

/** A name as SQLite compares it: only ASCII letters fold. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Collapse whitespace and case so two index definitions can be compared. */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .replace(/["`[\]]/g, '')
    .trim()
    .toLowerCase()
    .replace(/^create (unique )?index (if not exists )?/, 'create $1index ');
}

const KEYWORDS = new Set(
  (
    'abort action add after all alter analyze and as asc attach autoincrement before begin between by cascade case cast check ' +
    'collate column commit conflict constraint create cross current default deferrable deferred delete desc detach distinct ' +
    'drop each else end escape except exclusive exists explain fail for foreign from full glob group having if ignore immediate ' +
    'in index indexed initially inner insert instead intersect into is isnull join key left like limit match natural no not ' +
    'notnull null of offset on or order outer plan pragma primary query raise recursive references regexp reindex release ' +
    'rename replace restrict right rollback row rowid savepoint select set table temp temporary then to transaction trigger ' +
    'union unique update using vacuum values view virtual when where with without'
  ).split(' '),
);

/**
 * An identifier spelled bare when that is unambiguous, quoted otherwise. RENAME COLUMN copies
 * the new name's token into the table's DDL exactly as written, so writing the name the way
 * the schema spells it keeps the stored DDL identical after a rename and its undo.
 */
export function plainIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toLowerCase()) ? name : quoteIdent(name);
}
