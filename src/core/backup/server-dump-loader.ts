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
import { createScratchFile, releaseStatements } from '../db/index.js';
import { messageOf } from '../model/index.js';
import { exactNumbers, StatementReader } from '../sql/index.js';

/** Statements whose transaction work is ours: not run. */
const MANAGED = /^(BEGIN(\s+TRANSACTION)?|COMMIT|PRAGMA\s+foreign_keys\s*=\s*OFF)$/i;
const WRITABLE_SCHEMA = /^PRAGMA\s+writable_schema\s*=\s*(ON|OFF)$/i;
const CREATE = /^CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|TRIGGER|VIEW)\b/i;
/** What may follow a trigger: the rest of the schema, never a row. */
const AFTER_TRIGGER = /^CREATE\s+((UNIQUE\s+)?INDEX|TRIGGER|VIEW)\b/i;
const ROW_WRITE = /^(DELETE\s+FROM\s+sqlite_sequence|ANALYZE\s+sqlite_schema)$/i;
const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s"(.,]+)`;
/** INSERT INTO <one unqualified table> [(columns)] VALUES(...): the only row shape the exporter writes. */
const INSERT_ROW = new RegExp(String.raw`^INSERT\s+INTO\s+(${NAME})\s*(?:\([^()]*\))?\s*VALUES\s*\(`, 'i');
const LITERAL = String.raw`'(?:[^']|'')*'`;
/** A virtual table's definition, written into sqlite_schema under writable_schema. */
const SCHEMA_ROW = new RegExp(
  String.raw`^INSERT\s+INTO\s+sqlite_(?:schema|master)\s*\(\s*type\s*,\s*name\s*,\s*tbl_name\s*,\s*rootpage\s*,\s*sql\s*\)\s*VALUES\s*\(\s*'table'\s*,\s*(${LITERAL})\s*,\s*(${LITERAL})\s*,\s*0\s*,\s*([\s\S]+)\)$`,
  'i',
);
/** The virtual tables a dump may define: the modules built into the engine. */
const VIRTUAL_TABLE = new RegExp(String.raw`^CREATE\s+VIRTUAL\s+TABLE\s+(${NAME})\s+USING\s+(fts3|fts4|fts5|rtree)\s*\(`, 'i');
/** How many statements run between two collections of their native memory. */
const STATEMENTS_PER_COLLECTION = 2_000;
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
      const refused = this.attempt(sql);
      if (refused) return refused;
    }
    return null;
  }

  /** The end of the text: commits what was loaded, unless it did not end in the dump's COMMIT. */
  finish(): string | null {
    // A statement without its semicolon is where the text was cut: it is never run.
    if (this.reader.end() !== null || !/^COMMIT$/i.test(this.last)) return `the dump ended before its COMMIT (truncated after ${this.bytes} bytes)`;
    if (this.writableSchema) this.db.exec('PRAGMA writable_schema = OFF');
    this.db.exec('COMMIT');
    return null;
  }

  close(): void {
    this.db.close();
  }

  private attempt(sql: string): string | null {
    try {
      return this.run(sql);
    } catch (error) {
      if (/SQLITE_FULL|disk is full/i.test(messageOf(error))) throw error;
      return `a statement of it failed (${preview(sql)}: ${messageOf(error).slice(0, 100)})`;
    }
  }

  private run(sql: string): string | null {
    // Each prepared statement's native memory goes only when its wrapper is collected (memory.ts).
    if (++this.statements % STATEMENTS_PER_COLLECTION === 0) releaseStatements();
    this.last = sql;
    if (MANAGED.test(sql)) return null;
    const writable = WRITABLE_SCHEMA.exec(sql);
    if (writable) {
      this.writableSchema = writable[1].toUpperCase() === 'ON';
      this.db.exec(`PRAGMA writable_schema = ${this.writableSchema ? 'ON' : 'OFF'}`);
      return null;
    }
    if (this.sawTrigger && !AFTER_TRIGGER.test(sql)) return `it writes after a trigger was created (${preview(sql)})`;
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
    const table = nameOf(insert[1]).toLowerCase();
    if (/^sqlite_/.test(table) && !ENGINE_TABLES_WITH_ROWS.has(table)) return `it writes into ${table} (${preview(sql)})`;
    if (this.virtualTables.has(table)) return `it sends a command to the virtual table ${table} (${preview(sql)})`;
    // One statement per call: the engine's exec of a long text copies what is left of it after
    // every statement (measured: 9 s for a 164 MB dump, against 1.6 s for sqlite3 reading it).
    // Numbers before VALUES can only sit inside names, which the rewrite skips.
    this.db.prepare(exactNumbers(sql)).run();
    return null;
  }

  /** sqlite_schema gets the one row a virtual table's definition needs, decoded and checked, then bound. */
  private defineVirtualTable(row: RegExpExecArray, sql: string): string | null {
    const name = textOf(row[1]);
    const definition = textExpression(row[3].trim());
    const created = definition === null ? null : VIRTUAL_TABLE.exec(definition);
    if (!this.writableSchema || name !== textOf(row[2]) || !created || nameOf(created[1]).toLowerCase() !== name.toLowerCase()) {
      return `it writes into sqlite_schema something other than a virtual table's definition (${preview(sql)})`;
    }
    this.virtualTables.add(name.toLowerCase());
    this.db.prepare("INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', ?, ?, 0, ?)").run(name, name, definition);
    return null;
  }
}

function preview(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, 60);
}

function nameOf(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token;
}

function textOf(literal: string): string {
  return literal.slice(1, -1).replace(/''/g, "'");
}

/**
 * The value of a text the exporter wrote: a literal, or a literal inside its replace(..., 'token',
 * char(N)) wrappers (how it carries newlines). Anything else is null: never evaluated.
 */
export function textExpression(expression: string): string | null {
  if (new RegExp(String.raw`^${LITERAL}$`).test(expression)) return textOf(expression);
  const m = new RegExp(String.raw`^replace\s*\(([\s\S]+),\s*(${LITERAL})\s*,\s*char\s*\(\s*(\d{1,3})\s*\)\s*\)$`, 'i').exec(expression);
  if (!m) return null;
  const inner = textExpression(m[1].trim());
  const token = textOf(m[2]);
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
