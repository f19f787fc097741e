/**
 * The server's dump (sqld's exporter, a port of the sqlite3 shell's .dump) loaded into a private
 * database file, statement by statement. One loader for both ends: a backup loads the text as it
 * arrives from the server, to check it, and keeps that very text as its file; a restore loads the
 * file with this same code, so it rebuilds exactly the database the backup was proven against.
 *
 * The text is input (from the network, or a file that may have been altered since), so only what
 * such a dump writes is run: never ATTACH, VACUUM, a PRAGMA but writable_schema, a write after a
 * trigger exists, or a row into sqlite_schema other than a virtual table's own definition (which
 * is decoded and bound, never run as given). REALs are read exactly (SQLite's own decimal parsing
 * can be one bit off), and a text that does not end in its COMMIT is refused as truncated.
 */
import fs from 'node:fs';
import type Database from 'libsql';
import { createScratchFile } from '../db/index.js';
import { isDiskFull, messageOf } from '../model/index.js';
import { exactNumbers, foldName, StatementReader, unquoteName } from '../sql/index.js';

/** Statements whose transaction work is ours: not run. */
const MANAGED = /^(BEGIN(\s+TRANSACTION)?|COMMIT|PRAGMA\s+foreign_keys\s*=\s*OFF)$/i;
const WRITABLE_SCHEMA = /^PRAGMA\s+writable_schema\s*=\s*(ON|OFF)$/i;
const CREATE = /^CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|TRIGGER|VIEW)\b/i;
/** What may follow a trigger: the rest of the schema, never a row. */
const AFTER_TRIGGER = /^CREATE\s+((UNIQUE\s+)?INDEX|TRIGGER|VIEW)\b/i;
const ROW_WRITE = /^(DELETE\s+FROM\s+sqlite_sequence|ANALYZE\s+sqlite_schema)$/i;
/** A name as the exporter writes one: a bare word, or in double quotes. */
const NAME = String.raw`(?:"(?:[^"]|"")*"|[\p{L}_][\p{L}\p{N}_$]*)`;
/** A name as CREATE texts in sqlite_schema may spell it: also 'x' (FTS5 writes its shadow tables so), [x] and `x`. */
const ANY_NAME = String.raw`(?:"(?:[^"]|"")*"|'(?:[^']|'')*'|\[[^\]]*\]|\x60(?:[^\x60]|\x60\x60)*\x60|[\p{L}_][\p{L}\p{N}_$]*)`;
/** CREATE TABLE [IF NOT EXISTS] <one unqualified name> (...: never in another schema, never AS SELECT. */
const CREATE_TABLE = new RegExp(String.raw`^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${ANY_NAME})\s*\(`, 'iu');
/** INSERT INTO <one unqualified table> [(columns)] VALUES(: the only row shape the exporter writes. */
const INSERT_ROW = new RegExp(String.raw`^INSERT\s+INTO\s+(${NAME})\s*(?:\(\s*${NAME}\s*(?:,\s*${NAME}\s*)*\))?\s*VALUES\s*\(`, 'iu');
const LITERAL = String.raw`'(?:[^']|'')*'`;
/** A virtual table's definition, written into sqlite_schema under writable_schema. */
const SCHEMA_ROW = new RegExp(
  String.raw`^INSERT\s+INTO\s+sqlite_(?:schema|master)\s*\(\s*type\s*,\s*name\s*,\s*tbl_name\s*,\s*rootpage\s*,\s*sql\s*\)\s*VALUES\s*\(\s*'table'\s*,\s*(${LITERAL})\s*,\s*(${LITERAL})\s*,\s*0\s*,\s*([\s\S]+)\)$`,
  'i',
);
/** The virtual tables a dump may define: the modules built into the engine. */
const VIRTUAL_TABLE = new RegExp(String.raw`^CREATE\s+VIRTUAL\s+TABLE\s+(${ANY_NAME})\s+USING\s+(fts3|fts4|fts5|rtree)\s*\(`, 'iu');
/** The longest statement held in memory: larger values travel in pieces through the paged reads instead. */
const MAX_STATEMENT_CHARS = 32 << 20;

function tooLong(): string {
  return `it holds a statement over ${MAX_STATEMENT_CHARS >> 20} MiB (a large value), which the paged reads carry in pieces`;
}

/** sqlite_ tables a dump writes rows into. */
const ENGINE_TABLES_WITH_ROWS = new Set(['sqlite_sequence', 'sqlite_stat1', 'sqlite_stat4']);

export class ServerDumpLoader {
  private readonly db: Database.Database;
  private readonly reader = new StatementReader();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private bytes = 0;
  private last = '';
  private writableSchema = false;
  private sawTrigger = false;
  private readonly virtualTables = new Set<string>();
  statements = 0;

  /** Creates `file`, private (the caller removes it on failure), and opens the load's one transaction. */
  constructor(file: string) {
    // Created empty here first: the rows it receives (API keys among them) are for the owner only.
    fs.writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
    this.db = createScratchFile(file);
    // A private file being built: nothing to recover if the run dies, so no journal and no syncs
    // (the caller flushes the finished file).
    this.db.exec('PRAGMA journal_mode = OFF');
    this.db.exec('PRAGMA synchronous = OFF');
    this.db.exec('BEGIN');
  }

  /** Runs every statement the bytes complete; returns why the text is refused, or null. Throws only on a full disk. */
  feed(chunk: Uint8Array): string | null {
    this.bytes += chunk.byteLength;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      return `it is not UTF-8 text (after ${this.bytes - chunk.byteLength} bytes)`;
    }
    for (const sql of this.reader.feed(text)) {
      const refused = sql.length > MAX_STATEMENT_CHARS ? tooLong() : this.attempt(sql);
      if (refused) return refused;
    }
    // One huge value is one huge statement here (a 400 MB BLOB is 800 MB of hex, past what a
    // string can hold): refused before it is held, and read page by page, which carries it in pieces.
    return this.reader.pendingLength > MAX_STATEMENT_CHARS ? tooLong() : null;
  }

  /** The end of the text: commits what was loaded, unless it did not end in the dump's COMMIT. */
  finish(): string | null {
    // A statement without its semicolon is where the text was cut: it is never run.
    if (this.reader.end() !== null || !/^COMMIT$/i.test(this.last)) return `the dump ended before its COMMIT (truncated after ${this.bytes} bytes)`;
    try {
      if (this.writableSchema) this.db.exec('PRAGMA writable_schema = OFF');
      this.db.exec('COMMIT');
    } catch (error) {
      if (isDiskFull(error)) throw error;
      return `it did not commit (${messageOf(error).slice(0, 100)})`;
    }
    return null;
  }

  close(): void {
    this.db.close();
  }

  private attempt(sql: string): string | null {
    try {
      return this.run(sql);
    } catch (error) {
      if (isDiskFull(error)) throw error;
      return `a statement of it failed (${preview(sql)}: ${messageOf(error).slice(0, 100)})`;
    }
  }

  private run(sql: string): string | null {
    this.statements++;
    this.last = sql;
    if (MANAGED.test(sql)) return null;
    const writable = WRITABLE_SCHEMA.exec(sql);
    if (writable) {
      this.writableSchema = writable[1].toUpperCase() === 'ON';
      this.db.exec(`PRAGMA writable_schema = ${this.writableSchema ? 'ON' : 'OFF'}`);
      return null;
    }
    if (this.sawTrigger && !AFTER_TRIGGER.test(sql)) return `it writes after a trigger was created (${preview(sql)})`;
    if (/^CREATE\s+TABLE\b/i.test(sql)) {
      const created = CREATE_TABLE.exec(sql);
      if (!created || isEngineName(unquoteName(created[1]))) return `it holds a CREATE TABLE a dump never writes (${preview(sql)})`;
    }
    if (CREATE.test(sql)) {
      if (/^CREATE\s+TRIGGER\b/i.test(sql)) this.sawTrigger = true;
      this.db.prepare(sql).run();
      return null;
    }
    if (ROW_WRITE.test(sql)) {
      this.db.prepare(sql).run();
      return null;
    }
    const schemaRow = SCHEMA_ROW.exec(sql);
    if (schemaRow) return this.defineVirtualTable(schemaRow, sql);
    const insert = INSERT_ROW.exec(sql);
    if (!insert) return `it holds a statement a dump never writes (${preview(sql)})`;
    const table = foldName(unquoteName(insert[1]));
    if (isEngineName(table) && !ENGINE_TABLES_WITH_ROWS.has(table)) return `it writes into ${table} (${preview(sql)})`;
    // Values only: a literal tuple and the end of the statement (no SELECT, no RETURNING, no expression to evaluate).
    if (!literalTuple(sql, insert[0].length)) return `it holds a row that is not a list of values (${preview(sql)})`;
    if (this.virtualTables.has(table)) return `it sends a command to the virtual table ${table} (${preview(sql)})`;
    // One statement per call: the engine's exec of a long text copies what is left of it after
    // every statement (measured: 9 s for a 164 MB dump, against 1.6 s for sqlite3 reading it).
    // exec, not prepare().run(): a prepared statement (its 15 KB of SQL text among it) is freed
    // only once V8 collects its wrapper and the event loop turns, so hundreds of thousands of
    // rows piled native memory up between collections; exec frees each one as it finishes.
    // Measured on the 100k dump (1.6 GB) through the loopback server: 38.6-46.8 s and 183 MiB
    // RSS before, 27.5 s and 137 MiB after. exec would run every statement of a text, so this is
    // only reached for exactly one: the INSERT's head and a literal tuple ending the text.
    // Only the values are rewritten: the names before them were checked as they are.
    this.db.exec(exactNumbers(sql, insert[0].length));
    return null;
  }

  /** sqlite_schema gets the one row a virtual table's definition needs, decoded and checked, then bound. */
  private defineVirtualTable(row: RegExpExecArray, sql: string): string | null {
    const name = unquoteName(row[1]);
    const definition = textExpression(row[3].trim());
    const created = definition === null ? null : VIRTUAL_TABLE.exec(definition);
    if (!this.writableSchema || name !== unquoteName(row[2]) || !created || foldName(unquoteName(created[1])) !== foldName(name)) {
      return `it writes into sqlite_schema something other than a virtual table's definition (${preview(sql)})`;
    }
    this.virtualTables.add(foldName(name));
    this.db.prepare("INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', ?, ?, 0, ?)").run(name, name, definition);
    return null;
  }
}

function preview(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, 60);
}

/** Names reserved for the engine's own tables (sqlite_schema, sqlite_sequence, sqlite_stat1...). */
function isEngineName(name: string): boolean {
  return foldName(name).startsWith('sqlite_');
}

const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const SPACE = /\s*/y;
const WORD_NULL = /NULL\b/iy;
const HEX_BLOB = /[xX]'[0-9a-fA-F]*'/y;
const REPLACE_OPEN = /replace\s*\(/iy;
const CHAR_CLOSE = /\s*,\s*char\s*\(\s*\d{1,3}\s*\)\s*\)/iy;

/**
 * Whether sql[from..] is `v, v, ...)` and nothing after it, each v a literal as the exporter
 * writes values: NULL, a number, a quoted text (possibly inside replace(..., 'x', char(N))), or
 * X'hex'. Scans with indexOf over quoted text: most of a dump is long string literals.
 */
export function literalTuple(sql: string, from: number): boolean {
  let i = from;
  const skip = () => {
    SPACE.lastIndex = i;
    SPACE.exec(sql);
    i = SPACE.lastIndex;
  };
  const sticky = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(sql)) return false;
    i = re.lastIndex;
    return true;
  };
  const text = (): boolean => {
    if (sql[i] !== "'") return false;
    let close = sql.indexOf("'", i + 1);
    while (close !== -1 && sql[close + 1] === "'") close = sql.indexOf("'", close + 2);
    if (close === -1) return false;
    i = close + 1;
    return true;
  };
  const textValue = (): boolean => {
    if (text()) return true;
    if (!sticky(REPLACE_OPEN)) return false;
    skip();
    if (!textValue()) return false;
    skip();
    if (sql[i] !== ',') return false;
    i++;
    skip();
    return text() && sticky(CHAR_CLOSE);
  };
  for (;;) {
    skip();
    if (!(sticky(WORD_NULL) || sticky(HEX_BLOB) || sticky(NUMBER) || textValue())) return false;
    skip();
    if (sql[i] === ',') {
      i++;
      continue;
    }
    if (sql[i] !== ')') return false;
    i++;
    skip();
    return i === sql.length;
  }
}

const WHOLE_LITERAL = new RegExp(String.raw`^${LITERAL}$`);
const REPLACE_CHAR = new RegExp(String.raw`^replace\s*\(([\s\S]+),\s*(${LITERAL})\s*,\s*char\s*\(\s*(\d{1,3})\s*\)\s*\)$`, 'i');

/**
 * The value of a text the exporter wrote: a literal, or a literal inside its replace(..., 'token',
 * char(N)) wrappers (how it carries newlines). Anything else is null: never evaluated.
 */
export function textExpression(expression: string): string | null {
  if (WHOLE_LITERAL.test(expression)) return unquoteName(expression);
  const m = REPLACE_CHAR.exec(expression);
  if (!m) return null;
  const inner = textExpression(m[1].trim());
  const token = unquoteName(m[2]);
  // SQLite's replace() leaves the text alone for an empty token.
  return inner === null ? null : token === '' ? inner : inner.split(token).join(String.fromCharCode(Number(m[3])));
}

/** Loads a kept server dump (a backup file) into `dest`, created here; returns why the text is refused, or null. */
export async function loadServerDumpFile(file: string, dest: string): Promise<string | null> {
  const loader = new ServerDumpLoader(dest);
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 64 << 10 })) {
      const refused = loader.feed(chunk as Buffer);
      if (refused) return refused;
    }
    return loader.finish();
  } finally {
    loader.close();
  }
}
