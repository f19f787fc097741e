/**
 * Loads a SQL dump through the client, streaming: the file is read in blocks, split into
 * statements as they complete, and sent in bounded batches (each one transaction with foreign
 * keys off). The dump's own BEGIN/COMMIT and PRAGMA lines are ours to manage, so they are skipped.
 */
import fs from 'node:fs';
import { type Db, releaseStatements, type Stmt } from '../db/index.js';
import { ExitCode, isDiskFull, UserError } from '../model/index.js';
import { foldName, StatementReader, unquoteName } from '../sql/index.js';

const SKIP = /^(BEGIN(\s+TRANSACTION)?|COMMIT|END(\s+TRANSACTION)?|PRAGMA\s+foreign_keys\s*=\s*\w+)$/i;
/**
 * What a dump holds, and nothing else: a backup file is input, and an altered one must not be
 * able to ATTACH and change another file, VACUUM INTO somewhere, or set a PRAGMA. The one DROP
 * is of the scratch table that carries a large value's pieces (dump.ts).
 */
const ALLOWED =
  /^(CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|TRIGGER|VIEW|VIRTUAL\s+TABLE)\b|INSERT\s+INTO\b|DELETE\s+FROM\s+"?sqlite_sequence"?\s*$|DROP\s+TABLE\s+_schema_wizard_pieces\s*$)/i;
const IDENT = String.raw`(?:"(?:[^"]|"")*"|'(?:[^']|'')*'|\[[^\]]*\]|\x60(?:[^\x60]|\x60\x60)*\x60|[^\s"'\x60\[(.]+)`;
const CREATE_VIRTUAL = new RegExp(String.raw`^CREATE\s+VIRTUAL\s+TABLE\s+(${IDENT})`, 'i');
/** INSERT INTO <one unqualified name> [(columns)] VALUES ...: the only INSERT shape a dump writes. */
const INSERT_SHAPE = new RegExp(String.raw`^INSERT\s+INTO\s+(${IDENT})\s*(\(([^()]*)\))?\s*VALUES\b`, 'i');

/** A name without its quotes, folded as SQLite compares names. */
function identOf(token: string): string {
  return foldName(unquoteName(token));
}

/**
 * An INSERT as a dump writes it: into one unqualified table, with VALUES (never INSERT ...
 * SELECT). Into an FTS table that reads a content table: only its rebuild, exactly. Into an FTS
 * table's shadow tables: never (they are rebuilt, not dumped). Into an FTS table that owns its
 * text: rows, never a command (its own name as the column).
 */
function insertAsDumped(sql: string, virtualTables: Map<string, boolean>): boolean {
  const m = INSERT_SHAPE.exec(sql);
  if (!m) return false;
  const table = identOf(m[1]);
  const columns = (m[3] ?? '').split(',').map((c) => identOf(c.trim()));
  for (const vtab of virtualTables.keys()) if (table.startsWith(`${vtab}_`)) return false;
  const external = virtualTables.get(table);
  if (external === undefined) return true;
  const command = columns.length === 1 && columns[0] === table;
  if (external)
    return (
      command &&
      new RegExp(String.raw`^INSERT\s+INTO\s+${escapeRegExp(m[1])}\s*\(\s*${escapeRegExp(m[3].trim())}\s*\)\s*VALUES\s*\(\s*'rebuild'\s*\)\s*;?\s*$`, 'i').test(
        sql,
      )
    );
  return !command;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MAX_BATCH_STATEMENTS = 2_000;

function alteredDump(file: string, sql: string): UserError {
  return new UserError(
    `${file} holds a statement a schema-wizard dump never contains (${sql.replace(/\s+/g, ' ').slice(0, 60)}…): the backup was altered. Nothing was loaded into the target.`,
    {
      hint: 'Use another backup; this one cannot be trusted.',
      exitCode: ExitCode.failed,
    },
  );
}
const MAX_BATCH_CHARS = 8 << 20;

export async function loadDump(db: Db, file: string, onProgress?: (bytes: number, statements: number) => void): Promise<number> {
  const reader = new StatementReader();
  let batch: Stmt[] = [];
  let chars = 0;
  let statements = 0;
  let bytes = 0;
  let sawTrigger = false;
  /** Virtual tables the dump created so far, and whether each reads its text from a content table. */
  const virtualTables = new Map<string, boolean>();
  const flush = async () => {
    if (batch.length === 0) return;
    try {
      await db.load(batch);
    } catch (error) {
      // Locally a statement that fails is the file's doing; remotely it may be the connection, said as it is.
      if (db.target.kind !== 'file' || isDiskFull(error)) throw error;
      throw new UserError(`${file} does not load: ${String((error as Error)?.message ?? error).slice(0, 160)}. Nothing was replaced.`, {
        hint: 'Use another backup; this one is damaged or was altered.',
        exitCode: ExitCode.failed,
      });
    }
    releaseStatements();
    statements += batch.length;
    batch = [];
    chars = 0;
    onProgress?.(bytes, statements);
  };
  const add = async (raw: string) => {
    const sql = withoutLeadingComments(raw);
    if (SKIP.test(sql)) return;
    if (!ALLOWED.test(sql)) throw alteredDump(file, sql);
    // A dump creates its triggers after every row (only views follow): a trigger before a write
    // would run code of the file's choosing during the load, so nothing may write after one.
    if (/^CREATE\s+TRIGGER\b/i.test(sql)) sawTrigger = true;
    else if (sawTrigger && !/^CREATE\s+(VIEW|(UNIQUE\s+)?INDEX)\b/i.test(sql)) throw alteredDump(file, sql);
    const created = CREATE_VIRTUAL.exec(sql);
    if (created) {
      // Only the engine's own text and R-tree modules: another (sqlite_dbpage) would write pages, not rows.
      if (!new RegExp(String.raw`^CREATE\s+VIRTUAL\s+TABLE\s+${escapeRegExp(created[1])}\s+USING\s+(fts3|fts4|fts5|rtree)\s*\(`, 'i').test(sql))
        throw alteredDump(file, sql);
      virtualTables.set(identOf(created[1]), /content\s*=\s*'[^']+'/i.test(sql));
    }
    if (/^INSERT\b/i.test(sql) && !insertAsDumped(sql, virtualTables)) throw alteredDump(file, sql);
    batch.push({ sql });
    chars += sql.length;
    if (batch.length >= MAX_BATCH_STATEMENTS || chars >= MAX_BATCH_CHARS) await flush();
  };
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    bytes += Buffer.byteLength(chunk as string);
    for (const sql of reader.feed(chunk as string)) await add(sql);
  }
  const rest = reader.end();
  if (rest !== null) {
    throw new UserError(`${file} ends in the middle of a statement: the backup is truncated. Nothing counts until a restore is verified.`, {
      hint: 'Use another backup; this one is incomplete.',
      exitCode: ExitCode.failed,
    });
  }
  await flush();
  return statements;
}

function withoutLeadingComments(sql: string): string {
  let text = sql.trimStart();
  for (;;) {
    if (text.startsWith('--')) text = text.slice(text.indexOf('\n') === -1 ? text.length : text.indexOf('\n') + 1).trimStart();
    else if (text.startsWith('/*')) text = text.slice(text.indexOf('*/') === -1 ? text.length : text.indexOf('*/') + 2).trimStart();
    else return text;
  }
}
