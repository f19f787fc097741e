/**
 * Small, dependency-free helpers for SQL text. Identifiers read from a database are always
 * quoted with quoteIdent; values are always bound, never pasted.
 */

/** Quote an identifier for SQLite: "name" with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quote a string literal (only for SQL text written to dump files, never for executed SQL). */
export function quoteText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Count the statements in a SQL string the way SQLite's tokenizer would: quotes, comments and
 * CREATE TRIGGER ... BEGIN ... END bodies are respected. Used to guarantee that every string we
 * send holds exactly one statement (a local file silently runs only the first of several; a
 * server rejects them).
 */
export function countStatements(sql: string): number {
  return splitStatements(sql).length;
}

/** Split SQL text into statements (without trailing semicolons); empty statements are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  // Words of the current statement seen so far (upper-cased), to recognise a trigger body.
  let words: string[] = [];
  let beginDepth = 0;
  let hasContent = false;

  const finish = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (hasContent && text.length > 0) statements.push(text);
    start = end + 1;
    words = [];
    beginDepth = 0;
    hasContent = false;
  };

  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      hasContent = true;
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j])) j++;
      const word = sql.slice(i, j).toUpperCase();
      hasContent = true;
      words.push(word);
      const isTrigger = words[0] === 'CREATE' && words.slice(1, 4).includes('TRIGGER');
      if (isTrigger && (word === 'BEGIN' || word === 'CASE')) beginDepth++;
      else if (isTrigger && word === 'END' && beginDepth > 0) beginDepth--;
      i = j;
      continue;
    }
    if (ch === ';') {
      if (beginDepth === 0) finish(i);
      i++;
      continue;
    }
    if (!/\s/.test(ch)) hasContent = true;
    i++;
  }
  finish(sql.length);
  return statements;
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
  ('abort action add after all alter analyze and as asc attach autoincrement before begin between by cascade case cast check ' +
    'collate column commit conflict constraint create cross current default deferrable deferred delete desc detach distinct ' +
    'drop each else end escape except exclusive exists explain fail for foreign from full glob group having if ignore immediate ' +
    'in index indexed initially inner insert instead intersect into is isnull join key left like limit match natural no not ' +
    'notnull null of offset on or order outer plan pragma primary query raise recursive references regexp reindex release ' +
    'rename replace restrict right rollback row rowid savepoint select set table temp temporary then to transaction trigger ' +
    'union unique update using vacuum values view virtual when where with without').split(' '),
);

/**
 * An identifier spelled bare when that is unambiguous, quoted otherwise. RENAME COLUMN copies
 * the new name's token into the table's DDL exactly as written, so writing the name the way
 * the schema spells it keeps the stored DDL identical after a rename and its undo.
 */
export function plainIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toLowerCase()) ? name : quoteIdent(name);
}
