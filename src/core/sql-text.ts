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
  const reader = new StatementReader();
  const statements = reader.feed(sql);
  const rest = reader.end();
  return rest === null ? statements : [...statements, rest];
}

type ScanState = 'code' | 'line-comment' | 'block-comment' | 'quote' | 'word';

/**
 * An incremental statement scanner: feed it text in chunks of any size (a dump file read in
 * blocks) and it returns each statement as soon as its terminating semicolon arrives.
 */
export class StatementReader {
  private buffer = '';
  private state: ScanState = 'code';
  private quoteClose = '';
  /** After a closing quote: the same quote next means an escaped quote ('' or ""). */
  private pendingQuote = '';
  /** The previous character seen in code state ('' after a quote, word or comment). */
  private prevCode = '';
  private prevInComment = '';
  private word = '';
  private words: string[] = [];
  /** BEGIN/CASE ... END nesting inside CREATE TRIGGER, where ';' does not end the statement. */
  private depth = 0;
  private content = false;

  feed(chunk: string): string[] {
    const out: string[] = [];
    for (const ch of chunk) {
      this.buffer += ch;
      if (this.step(ch)) {
        const text = this.buffer.slice(0, -1).trim();
        if (this.content && text.length > 0) out.push(text);
        this.reset();
      }
    }
    return out;
  }

  /** What is left without a final semicolon, or null. */
  end(): string | null {
    if (this.state === 'word') this.endWord();
    const text = this.buffer.trim();
    const result = this.content && text.length > 0 ? text : null;
    this.reset();
    return result;
  }

  private step(ch: string): boolean {
    switch (this.state) {
      case 'line-comment':
        if (ch === '\n') this.state = 'code';
        return false;
      case 'block-comment':
        if (this.prevInComment === '*' && ch === '/') this.state = 'code';
        this.prevInComment = ch;
        return false;
      case 'quote':
        if (ch === this.quoteClose) {
          this.state = 'code';
          this.pendingQuote = this.quoteClose === ']' ? '' : this.quoteClose;
          this.prevCode = '';
        }
        return false;
      case 'word':
        if (/[A-Za-z0-9_$]/.test(ch)) {
          this.word += ch;
          return false;
        }
        this.endWord();
        return this.code(ch);
      case 'code':
        return this.code(ch);
    }
  }

  private code(ch: string): boolean {
    if (this.pendingQuote) {
      const escaped = ch === this.pendingQuote;
      this.pendingQuote = '';
      if (escaped) {
        this.state = 'quote';
        return false;
      }
    }
    const prev = this.prevCode;
    this.prevCode = ch;
    if (prev === '-' && ch === '-') {
      this.state = 'line-comment';
      this.prevCode = '';
      return false;
    }
    if (prev === '/' && ch === '*') {
      this.state = 'block-comment';
      this.prevInComment = '';
      this.prevCode = '';
      return false;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      this.state = 'quote';
      this.quoteClose = ch === '[' ? ']' : ch;
      this.content = true;
      return false;
    }
    if (/[A-Za-z_]/.test(ch)) {
      this.state = 'word';
      this.word = ch;
      this.content = true;
      return false;
    }
    if (ch === ';') return this.depth === 0;
    if (/[0-9(),.*+<>=!|%&~]/.test(ch)) this.content = true;
    return false;
  }

  private endWord(): void {
    const word = this.word.toUpperCase();
    this.words.push(word);
    const isTrigger = this.words[0] === 'CREATE' && this.words.slice(1, 4).includes('TRIGGER');
    if (isTrigger && (word === 'BEGIN' || word === 'CASE')) this.depth++;
    else if (isTrigger && word === 'END' && this.depth > 0) this.depth--;
    this.word = '';
    this.state = 'code';
    this.prevCode = '';
  }

  private reset(): void {
    this.buffer = '';
    this.state = 'code';
    this.pendingQuote = '';
    this.prevCode = '';
    this.word = '';
    this.words = [];
    this.depth = 0;
    this.content = false;
  }
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
