/**
 * What an index means, read from its DDL: UNIQUE or not, its table, its key terms (a column or
 * an expression, with its collation and order) and a partial WHERE. Two spellings of one index
 * (quotes, case, spaces, IF NOT EXISTS) have the same shape; a UNIQUE, a partial or a
 * re-ordered twin does not. The planner compares shapes, never raw text, so "same name" is
 * never mistaken for "same index".
 */
import { normalizeSql } from './identifiers.js';

export interface IndexShape {
  unique: boolean;
  table: string;
  /** Normalized key terms, e.g. ["user_id", "date(created_at)", "importance desc"]. */
  terms: string[];
  /** Normalized WHERE condition of a partial index, or null. */
  where: string | null;
}

/** Reads an index's DDL; null when the text is not a CREATE INDEX this reader understands. */
export function indexShape(sql: string): IndexShape | null {
  const text = normalizeSql(sql);
  const head = /^create (unique )?index (?:if not exists )?(?:main\.)?\S+ on (?:main\.)?([^(\s]+)\s?\(/.exec(text);
  if (!head) return null;
  const open = head[0].length - 1;
  const close = matchingParen(text, open);
  if (close === -1) return null;
  const rest = text.slice(close + 1).trim();
  const where = /^where (.+)$/.exec(rest)?.[1] ?? null;
  if (rest !== '' && where === null) return null;
  return { unique: Boolean(head[1]), table: head[2], terms: splitTopLevel(text.slice(open + 1, close)).map(canonicalTerm), where };
}

/** Whether two shapes define the same index (name aside). */
export function sameShape(a: IndexShape, b: IndexShape): boolean {
  return a.unique === b.unique && a.table === b.table && a.where === b.where && a.terms.join(',') === b.terms.join(',');
}

/**
 * Whether an index with shape `index` serves every equality lookup on the leading `key` terms:
 * not partial (a partial index serves only some rows) and led by exactly those terms. Order
 * (ASC/DESC) does not matter for lookups; a collation does.
 */
export function serves(index: IndexShape, key: string[]): boolean {
  if (index.where !== null || index.terms.length < key.length) return false;
  return key.every((term, i) => withoutOrder(index.terms[i]) === withoutOrder(canonicalTerm(term)));
}

/** A shape's DDL under another name (used to keep a replaced index's meaning). */
export function shapeSql(name: string, shape: IndexShape): string {
  return `CREATE ${shape.unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${shape.table}(${shape.terms.join(', ')})${shape.where ? ` WHERE ${shape.where}` : ''}`;
}

function canonicalTerm(term: string): string {
  // "x asc" is "x". An explicit collation stays, BINARY too: a column may declare another
  // default (user_id TEXT COLLATE NOCASE), and then an index COLLATE BINARY serves no lookup.
  return term
    .trim()
    .toLowerCase()
    .replace(/\s+asc$/, '');
}

function withoutOrder(term: string): string {
  return term.replace(/\s+desc$/, '');
}

/**
 * Walks `text` from `from`, skipping single-quoted literals, and calls `visit` with each other
 * character and the parenthesis depth before it; stops early when `visit` returns true.
 */
function walkOutsideQuotes(text: string, from: number, visit: (ch: string, i: number, depth: number) => boolean | void): void {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "'") quoted = false;
      continue;
    }
    if (ch === "'") quoted = true;
    else if (visit(ch, i, depth)) return;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
}

function matchingParen(text: string, open: number): number {
  let found = -1;
  walkOutsideQuotes(text, open, (ch, i, depth) => {
    if (ch === ')' && depth === 1) found = i;
    return found !== -1;
  });
  return found;
}

function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let start = 0;
  walkOutsideQuotes(list, 0, (ch, i, depth) => {
    if (ch === ',' && depth === 0) {
      out.push(list.slice(start, i));
      start = i + 1;
    }
  });
  out.push(list.slice(start));
  return out.map((t) => t.trim()).filter(Boolean);
}
