/**
 * Where one SQL statement ends, the way SQLite's tokenizer sees it: quotes, comments and
 * CREATE TRIGGER ... BEGIN ... END bodies respected. Dependency-free: the one-statement check on
 * every call and the dump loader both read SQL text through it.
 */

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

const SEMI = 59; // ;
const DASH = 45; // -
const SLASH = 47; // /
const STAR = 42; // *
const NEWLINE = 10;

/** SQLite takes every character above ASCII as part of a name. */
function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/**
 * An incremental statement scanner: feed it text in chunks of any size (a dump file read in
 * blocks) and it returns each statement as soon as its terminating semicolon arrives. It works
 * on character codes and jumps over quoted text with indexOf, because a dump is mostly long
 * string literals (embeddings) and a restore scans every byte of it.
 */
export class StatementReader {
  /** Text of the current statement from earlier chunks. */
  private pending = '';
  private state: ScanState = 'code';
  private quoteClose = '';
  /** After a closing quote: the same quote next means an escaped quote ('' or ""). */
  private pendingQuote = -1;
  /** The previous character code seen in code state (-1 after a quote, word or comment). */
  private prevCode = -1;
  private prevInComment = -1;
  private word = '';
  private words: string[] = [];
  /** BEGIN/CASE ... END nesting inside CREATE TRIGGER, where ';' does not end the statement. */
  private depth = 0;
  private content = false;

  feed(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'quote') {
        const close = chunk.indexOf(this.quoteClose, i);
        if (close === -1) {
          i = chunk.length;
          break;
        }
        i = close;
      } else if (this.state === 'line-comment') {
        const nl = chunk.indexOf('\n', i);
        if (nl === -1) {
          i = chunk.length;
          break;
        }
        i = nl;
      }
      if (this.step(chunk.charCodeAt(i), chunk[i])) {
        const text = (this.pending + chunk.slice(start, i)).trim();
        if (this.content && text.length > 0) out.push(text);
        this.reset();
        start = i + 1;
      }
      i++;
    }
    this.pending += chunk.slice(start);
    return out;
  }

  /** Characters of the statement still open (so a caller can bound the memory one statement takes). */
  get pendingLength(): number {
    return this.pending.length;
  }

  /** What is left without a final semicolon, or null. */
  end(): string | null {
    if (this.state === 'word') this.endWord();
    const text = this.pending.trim();
    const result = this.content && text.length > 0 ? text : null;
    this.reset();
    return result;
  }

  /** Processes one character; returns true when it ends a statement. */
  private step(c: number, ch: string): boolean {
    switch (this.state) {
      case 'line-comment':
        if (c === NEWLINE) this.state = 'code';
        return false;
      case 'block-comment':
        if (this.prevInComment === STAR && c === SLASH) this.state = 'code';
        this.prevInComment = c;
        return false;
      case 'quote':
        // Only reached on the closing quote character (feed jumps to it).
        this.state = 'code';
        this.pendingQuote = this.quoteClose === ']' ? -1 : c;
        this.prevCode = -1;
        return false;
      case 'word':
        if (isWordChar(c)) {
          this.word += ch;
          return false;
        }
        this.endWord();
        return this.code(c, ch);
      case 'code':
        return this.code(c, ch);
    }
  }

  private code(c: number, ch: string): boolean {
    if (this.pendingQuote !== -1) {
      const escaped = c === this.pendingQuote;
      this.pendingQuote = -1;
      if (escaped) {
        this.state = 'quote';
        return false;
      }
    }
    const prev = this.prevCode;
    this.prevCode = c;
    if (prev === DASH && c === DASH) {
      this.state = 'line-comment';
      this.prevCode = -1;
      return false;
    }
    if (prev === SLASH && c === STAR) {
      this.state = 'block-comment';
      this.prevInComment = -1;
      this.prevCode = -1;
      return false;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      this.state = 'quote';
      this.quoteClose = ch === '[' ? ']' : ch;
      this.content = true;
      return false;
    }
    if (isWordStart(c)) {
      this.state = 'word';
      this.word = ch;
      this.content = true;
      return false;
    }
    if (c === SEMI) return this.depth === 0;
    if (!isSpace(c) && c !== DASH && c !== SLASH) this.content = true;
    return false;
  }

  private endWord(): void {
    // Only the first few words and BEGIN/CASE/END matter; keep the list short.
    const word = this.word.toUpperCase();
    if (this.words.length < 4) this.words.push(word);
    const isTrigger = this.words[0] === 'CREATE' && this.words.slice(1, 4).includes('TRIGGER');
    // The body opens at the first BEGIN (a table or trigger named "begin" comes before it and
    // counts as that first one; the real BEGIN then changes nothing); inside, CASE nests.
    if (isTrigger && ((word === 'BEGIN' && this.depth === 0) || word === 'CASE')) this.depth++;
    else if (isTrigger && word === 'END' && this.depth > 0) this.depth--;
    this.word = '';
    this.state = 'code';
    this.prevCode = -1;
  }

  private reset(): void {
    this.pending = '';
    this.state = 'code';
    this.pendingQuote = -1;
    this.prevCode = -1;
    this.word = '';
    this.words = [];
    this.depth = 0;
    this.content = false;
  }
}
