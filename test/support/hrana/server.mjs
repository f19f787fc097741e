#!/usr/bin/env node
// A loopback Hrana server, over HTTP v2 (`POST /v2/pipeline`) and over WebSocket (hrana2), backed by the `libsql` engine, so tests can
// exercise the remote (Turso) code paths of `@libsql/client` without a real sqld.
//
//   node server.mjs --db /path/file.db --token SECRET [--port 0] [--stream-idle-ms 10000]
//                   [--exit-on-stdin-close] [--delay-ms N] [--log-requests]
//
// --delay-ms answers every counted request N ms late (a network's round trip, on loopback);
// --log-requests prints each request's statements on stderr.
//
// Prints exactly one line `{"port":N}` once listening on 127.0.0.1. Runs in its own process because the
// engine can abort the whole process on some bad inputs.
//
// Behaviour copied from sqld (libsql-server), because that is what the client meets in production:
//   - every statement is checked before it runs: exactly one statement per execute/batch step, a list of
//     statements Turso refuses, syntax errors reported as SQL_PARSE_ERROR; a bad step fails a whole batch;
//   - arguments must match the SQL parameters exactly (the engine would silently bind NULL instead);
//   - each stream is its own connection; an open transaction survives between HTTP requests and is rolled
//     back on `close`, on expiry (10 s idle by default) and when a protocol error drops the stream;
//   - protocol errors are HTTP 400 text/plain, an expired stream is HTTP 500 JSON {code: STREAM_EXPIRED},
//     a bad token is HTTP 401 JSON without `message` (the client shows "Server returned HTTP status 401").
// The same port speaks Hrana over WebSocket (ws.mjs) for ws:// URLs.
// `GET /dump` (bearer token) streams the database as sqld's exporter writes it (dump.mjs).
// Test-only endpoints (no auth, not counted): GET /_test/stats, POST /_test/reset-stats, and
// POST /_test/stall {"forMs"}: WebSocket answers wait that long (the requests still run);
// POST /_test/dump-mode with {"mode": "served" | "absent" | "truncated" | "cut" | "altered", "afterBytes"?,
// "find"?, "replace"?}: /dump answers 404, ends cleanly after afterBytes, drops the connection after
// afterBytes, or serves text with `find` replaced by `replace` once.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'libsql';
import { exportDump } from './dump.mjs';
import { serveHranaWs } from './ws.mjs';

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string' },
    token: { type: 'string' },
    port: { type: 'string', default: '0' },
    'stream-idle-ms': { type: 'string', default: '10000' },
    'busy-timeout-ms': { type: 'string', default: '5000' },
    'exit-on-stdin-close': { type: 'boolean', default: false },
    'delay-ms': { type: 'string', default: '0' },
    'log-requests': { type: 'boolean', default: false },
  },
});
if (!opts.db || opts.token === undefined) {
  process.stderr.write('usage: server.mjs --db FILE --token SECRET [--port N] [--stream-idle-ms MS]\n');
  process.exit(2);
}
const DB_PATH = opts.db;
const TOKEN = opts.token;
const STREAM_IDLE_MS = Number(opts['stream-idle-ms']);
const BUSY_TIMEOUT_MS = Number(opts['busy-timeout-ms']);
// A network's round trip on loopback: every counted request waits this long before it is answered.
const DELAY_MS = Number(opts['delay-ms']);
const LOG_REQUESTS = opts['log-requests'];
// sqld forgets expired streams after 5 minutes; until then their batons report STREAM_EXPIRED.
const EXPIRED_MEMORY_MS = 300_000;

// ---------------------------------------------------------------------------------------------------
// Errors. Each kind maps to exactly one wire shape.

/** A client mistake that sqld answers with HTTP 400 text/plain (the stream is dropped). */
class ProtocolError extends Error {}

/** The baton belongs to a stream that expired: HTTP 500 JSON {message, code}. */
class StreamExpiredError extends Error {
  constructor() {
    super('The stream has expired due to inactivity');
    this.code = 'STREAM_EXPIRED';
  }
}

/** A statement-level failure: becomes {"type":"error"} for that request or that batch step. */
class StmtError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const parseError = (detail) => new StmtError('SQL_PARSE_ERROR', `SQL string could not be parsed: ${detail}`);
const argsError = (detail) => new StmtError('ARGS_INVALID', `Arguments do not match SQL parameters: ${detail}`);

/** Engine error -> hrana error. sqld reports the PRIMARY result code only (SQLITE_CONSTRAINT, not _UNIQUE). */
function sqliteError(err) {
  if (err instanceof StmtError) return err;
  const raw = typeof err?.code === 'string' && err.code.startsWith('SQLITE_') ? err.code : 'SQLITE_UNKNOWN';
  const primary = raw.split('_').slice(0, 2).join('_');
  return new StmtError(primary, `SQLite error: ${err?.message ?? String(err)}`);
}

// ---------------------------------------------------------------------------------------------------
// SQL tokenizer. The engine silently prepares only the FIRST statement of a string, so we split ourselves.

const isWordStart = (c) => /[A-Za-z_]/.test(c) || c > '\x7f';
const isWordChar = (c) => /[A-Za-z0-9_$]/.test(c) || c > '\x7f';

/**
 * Tokens without whitespace/comments: {kind: word|string|ident|number|param|semi|lparen|rparen|other,
 * text, upper?, start, end}. Quoted text ('..', "..", `..`, [..]) and comments can hold `;` safely.
 */
function tokenize(sql) {
  const tokens = [];
  let i = 0;
  const n = sql.length;
  const push = (kind, start, end) => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, upper: kind === 'word' ? text.toUpperCase() : undefined, start, end });
  };
  // Scan to the closing `close`; a doubled closer is an escaped one (except for [..]). Unterminated
  // quotes run to the end of input: the engine will then report the error.
  const quoted = (close, doubling) => {
    let j = i + 1;
    for (;;) {
      if (j >= n) return n;
      if (sql[j] === close) {
        if (doubling && sql[j + 1] === close) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
  };
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      continue;
    }
    let end;
    let kind;
    if (c === "'") {
      kind = 'string';
      end = quoted("'", true);
    } else if (c === '"') {
      kind = 'ident';
      end = quoted('"', true);
    } else if (c === '`') {
      kind = 'ident';
      end = quoted('`', true);
    } else if (c === '[') {
      kind = 'ident';
      end = quoted(']', false);
    } else if (c === ';') {
      kind = 'semi';
      end = i + 1;
    } else if (c === '(') {
      kind = 'lparen';
      end = i + 1;
    } else if (c === ')') {
      kind = 'rparen';
      end = i + 1;
    } else if (c === '?') {
      kind = 'param';
      end = i + 1;
      while (end < n && /[0-9]/.test(sql[end])) end++;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && isWordChar(sql[i + 1])) {
      kind = 'param';
      end = i + 1;
      while (end < n && isWordChar(sql[end])) end++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      kind = 'number';
      end = i + 1;
      while (end < n && (/[0-9A-Za-z_.]/.test(sql[end]) || (/[+-]/.test(sql[end]) && /[eE]/.test(sql[end - 1])))) end++;
    } else if (isWordStart(c)) {
      kind = 'word';
      end = i + 1;
      while (end < n && isWordChar(sql[end])) end++;
    } else {
      kind = 'other';
      end = i + 1;
    }
    push(kind, i, end);
    i = end;
  }
  return tokens;
}

const wordAt = (tokens, i) => (tokens[i]?.kind === 'word' ? tokens[i].upper : undefined);

/** CREATE [TEMP|TEMPORARY] TRIGGER (optionally behind EXPLAIN [QUERY PLAN]), like sqlite3_complete(). */
function isCreateTrigger(tokens) {
  let i = 0;
  if (wordAt(tokens, 0) === 'EXPLAIN') i = wordAt(tokens, 1) === 'QUERY' && wordAt(tokens, 2) === 'PLAN' ? 3 : 1;
  if (wordAt(tokens, i) !== 'CREATE') return false;
  i++;
  if (wordAt(tokens, i) === 'TEMP' || wordAt(tokens, i) === 'TEMPORARY') i++;
  return wordAt(tokens, i) === 'TRIGGER';
}

/**
 * Split SQL into statements: [{text, tokens}]. Empty statements (`;;`) vanish. Inside a CREATE TRIGGER
 * body the `;` between body statements do not end the statement; like sqlite3_complete(), the trigger
 * ends only at `; END ;` (so CASE ... END inside the body is harmless).
 */
function splitStatements(sql) {
  const statements = [];
  let current = [];
  const finish = () => {
    if (current.length === 0) return;
    const text = sql.slice(current[0].start, current[current.length - 1].end);
    statements.push({ text, tokens: current });
    current = [];
  };
  for (const tok of tokenize(sql)) {
    if (tok.kind === 'semi') {
      if (current.length === 0) continue;
      const last = current[current.length - 1];
      const beforeLast = current[current.length - 2];
      const triggerBodyOpen = isCreateTrigger(current) && !(last.upper === 'END' && beforeLast?.kind === 'semi');
      if (triggerBodyOpen) {
        current.push(tok);
        continue;
      }
      finish();
      continue;
    }
    current.push(tok);
  }
  finish();
  return statements;
}

/** Why a real Turso server refuses this statement, or null. Checked before anything runs. */
function refusal(tokens) {
  const first = wordAt(tokens, 0);
  if (first === 'VACUUM' || first === 'ANALYZE' || first === 'ATTACH' || first === 'DETACH') {
    return `unsupported statement: ${first}`;
  }
  if (first === 'CREATE' && (wordAt(tokens, 1) === 'TEMP' || wordAt(tokens, 1) === 'TEMPORARY')) {
    return 'unsupported statement: CREATE TEMP';
  }
  if (first === 'PRAGMA') {
    // PRAGMA [schema.]name [= value | (value)]
    let i = 1;
    if (tokens[i + 1]?.text === '.') i += 2;
    const name = wordAt(tokens, i);
    const setting = tokens[i + 1]?.text === '=' || tokens[i + 1]?.kind === 'lparen';
    const value = (tokens[i + 2]?.text ?? '').replace(/^['"]|['"]$/g, '').toUpperCase();
    if (name === 'JOURNAL_MODE' && setting) return 'unsupported statement: PRAGMA journal_mode=...';
    if (name === 'LEGACY_ALTER_TABLE' && setting && ['ON', '1', 'TRUE', 'YES'].includes(value)) {
      return 'unsupported statement: PRAGMA legacy_alter_table=ON';
    }
  }
  return null;
}

/** The verb of the statement, looking through a leading WITH clause (its CTE bodies sit in parentheses). */
function statementVerb(tokens) {
  if (wordAt(tokens, 0) !== 'WITH') return wordAt(tokens, 0);
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'lparen') depth++;
    else if (t.kind === 'rparen') depth--;
    else if (depth === 0 && ['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(t.upper)) return t.upper;
  }
  return 'WITH';
}

/**
 * SQLite's parameter numbering (sqlite3ExprAssignVarNumber): `?` takes the next index, `?NNN` is index
 * NNN, a named parameter keeps the index of its first occurrence. Returns names[index-1] (null = `?`).
 */
function parameterNames(tokens) {
  const names = [];
  const indexOfName = new Map();
  for (const t of tokens) {
    if (t.kind !== 'param') continue;
    if (t.text === '?') {
      names.push(null);
    } else if (t.text.startsWith('?')) {
      const index = Number(t.text.slice(1));
      if (!Number.isInteger(index) || index < 1 || index > 32766) continue; // the engine reports it
      while (names.length < index) names.push(null);
      if (names[index - 1] === null) names[index - 1] = t.text;
    } else if (!indexOfName.has(t.text)) {
      names.push(t.text);
      indexOfName.set(t.text, names.length);
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------------
// Values on the wire. Integers travel as decimal STRINGS both ways; the engine runs with safe integers,
// so 64-bit values are exact. A JSON number from the client is a float (it binds as REAL, as in sqld).

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function valueFromWire(v) {
  switch (v?.type) {
    case 'null':
      return null;
    case 'integer': {
      let big;
      try {
        big = BigInt(v.value);
      } catch {
        throw new ProtocolError(`Invalid integer value: ${v.value}`);
      }
      if (big < I64_MIN || big > I64_MAX) throw new ProtocolError(`Integer out of range: ${v.value}`);
      return big;
    }
    case 'float':
      return Number(v.value);
    case 'text':
      return String(v.value);
    case 'blob':
      return Buffer.from(String(v.base64 ?? ''), 'base64');
    default:
      throw new ProtocolError('Value type not recognized');
  }
}

function valueToWire(v) {
  if (v === null || v === undefined) return { type: 'null' };
  if (typeof v === 'bigint') return { type: 'integer', value: v.toString() };
  if (typeof v === 'number') return { type: 'float', value: v }; // safe integers: a number is a REAL
  if (typeof v === 'string') return { type: 'text', value: v };
  if (v instanceof ArrayBuffer) return { type: 'blob', base64: Buffer.from(v).toString('base64') };
  if (ArrayBuffer.isView(v)) return { type: 'blob', base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  return { type: 'text', value: String(v) };
}

// ---------------------------------------------------------------------------------------------------
// Streams. One engine connection per stream; batons are single-use random strings.

const stats = { requests: 0, pipelines: 0, dumps: 0, statements: 0, openStreams: 0, expiredStreams: 0, refused: [] };
let dumpMode = { mode: 'served' };
// Until this time (ms), WebSocket answers are held back: requests run, their answers arrive late.
let stallUntil = 0;
const EXPIRED = Symbol('expired');
/** baton -> stream | EXPIRED */
const batons = new Map();
const liveStreams = new Set();

function openStream() {
  const db = new Database(DB_PATH);
  db.defaultSafeIntegers(true);
  // Another stream may hold the write lock; wait like a server would instead of failing at once.
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const info = db.prepare('SELECT changes(), last_insert_rowid()');
  info.raw(true);
  const stream = { db, info, sqls: new Map(), closed: false, timer: undefined };
  liveStreams.add(stream);
  stats.openStreams = liveStreams.size;
  return stream;
}

/** Close the connection, rolling back a transaction left open (what sqld does when it drops it). */
function closeStream(stream) {
  if (stream.closed) return;
  stream.closed = true;
  clearTimeout(stream.timer);
  try {
    if (stream.db.inTransaction) stream.db.exec('ROLLBACK');
  } catch (err) {
    process.stderr.write(`hrana: rollback on close failed: ${err?.message}\n`);
  }
  stream.db.close();
  liveStreams.delete(stream);
  stats.openStreams = liveStreams.size;
}

function acquireStream(baton) {
  if (baton === null || baton === undefined) return openStream();
  if (typeof baton !== 'string') throw new ProtocolError('Received an invalid baton');
  const entry = batons.get(baton);
  if (entry === EXPIRED) throw new StreamExpiredError();
  if (entry === undefined) throw new ProtocolError('Received an invalid baton');
  batons.delete(baton); // single use: the next request must present the baton of this response
  clearTimeout(entry.timer);
  return entry;
}

/** Hand out the next baton, or null when the pipeline closed the stream. */
function releaseStream(stream) {
  if (stream.closed) return null;
  const baton = randomBytes(32).toString('base64url');
  batons.set(baton, stream);
  stream.timer = setTimeout(() => {
    closeStream(stream);
    stats.expiredStreams++;
    batons.set(baton, EXPIRED);
    setTimeout(() => batons.delete(baton), EXPIRED_MEMORY_MS).unref();
  }, STREAM_IDLE_MS);
  return baton;
}

function requireDb(stream) {
  if (stream.closed) throw new ProtocolError('Stream for this baton was closed');
  return stream.db;
}

// ---------------------------------------------------------------------------------------------------
// Statements: check everything first (like sqld's parse step), then execute.

function resolveSql(stream, sql, sqlId) {
  const hasSql = sql !== undefined && sql !== null;
  const hasId = sqlId !== undefined && sqlId !== null;
  if (hasSql && hasId) throw new ProtocolError('Either `sql` or `sql_id` are required, but not both');
  if (hasSql) return String(sql);
  if (!hasId) throw new ProtocolError('Either `sql` or `sql_id` are required');
  const stored = stream.sqls.get(sqlId);
  if (stored === undefined) throw new ProtocolError(`SQL text ${sqlId} not found`);
  return stored;
}

/** sqld parses with its own SQL parser, so syntax errors are SQL_PARSE_ERROR and are found up front. */
function checkSyntax(db, text) {
  try {
    db.prepare(text);
  } catch (err) {
    if (/syntax error|incomplete input|unrecognized token/.test(err?.message ?? '')) throw parseError(err.message);
    // Anything else (no such table, ...) is a runtime error of the step, reported when it runs.
  }
}

function checkStatement(db, statement) {
  const why = refusal(statement.tokens);
  if (why) {
    // Counted so tests can prove the tool never sends what a real server refuses.
    stats.refused.push(statement.text.slice(0, 200));
    throw parseError(why);
  }
  checkSyntax(db, statement.text);
}

/** Turn a wire `stmt` into a checked statement ready to run. Throws StmtError / ProtocolError. */
function compileStmt(stream, stmt) {
  if (!stmt || typeof stmt !== 'object') throw new ProtocolError('Missing `stmt`');
  const db = requireDb(stream);
  const statements = splitStatements(resolveSql(stream, stmt.sql, stmt.sql_id));
  if (statements.length === 0) throw new StmtError('SQL_NO_STATEMENT', 'SQL string does not contain any statement');
  checkStatement(db, statements[0]); // sqld reports a bad FIRST statement before counting the rest
  if (statements.length > 1) throw new StmtError('SQL_MANY_STATEMENTS', 'SQL string contains more than one statement');
  const args = (stmt.args ?? []).map(valueFromWire);
  const namedArgs = new Map((stmt.named_args ?? []).map((a) => [String(a.name), valueFromWire(a.value)]));
  if (args.length > 0 && namedArgs.size > 0) {
    throw new StmtError('ARGS_BOTH_POSITIONAL_AND_NAMED', 'Specifying both positional and named arguments is not supported');
  }
  return { ...statements[0], args, namedArgs, wantRows: stmt.want_rows ?? true };
}

/**
 * Values for parameter indexes 1..N, as sqld binds them: `?`/`?NNN` from positional args, `:x`/`@x`/`$x`
 * from named args given with or without the prefix. Missing or surplus arguments are an error.
 */
function bindValues(c) {
  const names = parameterNames(c.tokens);
  const given = c.namedArgs.size > 0 ? c.namedArgs.size : c.args.length;
  if (given > names.length) throw argsError(`too many parameters, expected ${names.length} found ${given}`);
  const positional = c.namedArgs.size === 0;
  return names.map((name, i) => {
    let value;
    if (name === null) value = positional ? c.args[i] : undefined;
    else if (name.startsWith('?')) value = positional ? c.args[Number(name.slice(1)) - 1] : undefined;
    else value = c.namedArgs.has(name) ? c.namedArgs.get(name) : c.namedArgs.get(name.slice(1));
    if (value === undefined) throw argsError(`value for parameter ${name ?? i + 1} not found`);
    return value;
  });
}

/** Run one checked statement and build a StmtResult. */
function runStmt(stream, c) {
  const db = requireDb(stream);
  let prepared;
  try {
    prepared = db.prepare(c.text);
  } catch (err) {
    throw sqliteError(err);
  }
  const values = bindValues(c);
  stats.statements++;
  const started = performance.now();
  let cols = [];
  let rows = [];
  try {
    if (prepared.reader) {
      cols = prepared.columns().map((col) => ({ name: col.name, decltype: col.type ?? null }));
      rows = prepared.raw(true).all(values);
    } else {
      prepared.run(values);
    }
  } catch (err) {
    throw sqliteError(err);
  }
  // Like sqld: changes() only for INSERT/UPDATE/DELETE (it is not reset by other statements), and a
  // last_insert_rowid only for INSERT.
  const [changes, lastRowid] = stream.info.all([])[0];
  const verb = statementVerb(c.tokens);
  const isInsert = verb === 'INSERT' || verb === 'REPLACE';
  const isIud = isInsert || verb === 'UPDATE' || verb === 'DELETE';
  return {
    cols,
    rows: c.wantRows ? rows.map((row) => row.map(valueToWire)) : [],
    affected_row_count: isIud ? Number(changes) : 0,
    last_insert_rowid: isInsert ? lastRowid.toString() : null,
    rows_read: rows.length,
    rows_written: isIud ? Number(changes) : 0,
    query_duration_ms: performance.now() - started,
  };
}

const errorToWire = (err) => ({ message: err.message, code: err.code });

// ---------------------------------------------------------------------------------------------------
// Batches.

/** Validate a condition; steps may only refer to EARLIER steps (sqld: protocol error otherwise). */
function checkCond(cond, stepIndex) {
  switch (cond?.type) {
    case 'ok':
    case 'error':
      if (!Number.isInteger(cond.step) || cond.step < 0 || cond.step >= stepIndex) {
        throw new ProtocolError('Invalid reference to step in a batch condition');
      }
      return;
    case 'not':
      return checkCond(cond.cond, stepIndex);
    case 'and':
    case 'or':
      if (!Array.isArray(cond.conds)) throw new ProtocolError('BatchCond type not recognized');
      return cond.conds.forEach((c) => checkCond(c, stepIndex));
    case 'is_autocommit':
      return;
    default:
      throw new ProtocolError('BatchCond type not recognized');
  }
}

function evalCond(cond, results, errors, db) {
  switch (cond.type) {
    case 'ok':
      return results[cond.step] !== null;
    case 'error':
      return errors[cond.step] !== null;
    case 'not':
      return !evalCond(cond.cond, results, errors, db);
    case 'and':
      return cond.conds.every((c) => evalCond(c, results, errors, db));
    case 'or':
      return cond.conds.some((c) => evalCond(c, results, errors, db));
    case 'is_autocommit':
      return !db.inTransaction;
  }
}

function runBatch(stream, batch) {
  if (!Array.isArray(batch?.steps)) throw new ProtocolError('Missing `batch.steps`');
  // Every step is checked before the first one runs: one bad SQL text fails the whole batch request.
  const steps = batch.steps.map((step, i) => {
    if (step.condition) checkCond(step.condition, i);
    return { stmt: compileStmt(stream, step.stmt), cond: step.condition ?? null };
  });
  const results = [];
  const errors = [];
  for (const step of steps) {
    if (step.cond && !evalCond(step.cond, results, errors, stream.db)) {
      results.push(null); // a skipped step is neither ok nor error
      errors.push(null);
      continue;
    }
    try {
      results.push(runStmt(stream, step.stmt));
      errors.push(null);
    } catch (err) {
      if (!(err instanceof StmtError)) throw err;
      results.push(null);
      errors.push(errorToWire(err));
    }
  }
  return { step_results: results, step_errors: errors };
}

/** `sequence`: many statements, no arguments, no results; stops at the first failure. */
function runSequence(stream, sql) {
  const db = requireDb(stream);
  const statements = splitStatements(sql);
  for (const s of statements) checkStatement(db, s);
  for (const s of statements) runStmt(stream, { ...s, args: [], namedArgs: new Map(), wantRows: false });
}

function describe(stream, sql) {
  const c = compileStmt(stream, { sql });
  let prepared;
  try {
    prepared = stream.db.prepare(c.text);
  } catch (err) {
    throw sqliteError(err);
  }
  const verb = statementVerb(c.tokens);
  return {
    params: parameterNames(c.tokens).map((name) => ({ name })),
    cols: prepared.columns().map((col) => ({ name: col.name, decltype: col.type ?? null })),
    is_explain: verb === 'EXPLAIN',
    is_readonly: verb === 'SELECT' || verb === 'VALUES' || verb === 'EXPLAIN',
  };
}

// ---------------------------------------------------------------------------------------------------
// Pipeline.

function handleStreamRequest(stream, r) {
  switch (r?.type) {
    case 'close':
      closeStream(stream);
      return { type: 'close' };
    case 'execute':
      return { type: 'execute', result: runStmt(stream, compileStmt(stream, r.stmt)) };
    case 'batch':
      requireDb(stream);
      return { type: 'batch', result: runBatch(stream, r.batch) };
    case 'sequence':
      requireDb(stream);
      runSequence(stream, resolveSql(stream, r.sql, r.sql_id));
      return { type: 'sequence' };
    case 'describe':
      requireDb(stream);
      return { type: 'describe', result: describe(stream, resolveSql(stream, r.sql, r.sql_id)) };
    case 'store_sql':
      if (stream.sqls.has(r.sql_id)) throw new ProtocolError(`SQL text ${r.sql_id} already exists`);
      stream.sqls.set(r.sql_id, String(r.sql));
      return { type: 'store_sql' };
    case 'close_sql':
      stream.sqls.delete(r.sql_id);
      return { type: 'close_sql' };
    case 'get_autocommit':
      return { type: 'get_autocommit', is_autocommit: !requireDb(stream).inTransaction };
    default:
      throw new ProtocolError('Request type not recognized');
  }
}

function handlePipeline(body) {
  if (!body || typeof body !== 'object' || !Array.isArray(body.requests)) {
    throw new ProtocolError('Cannot deserialize client message from JSON: expected {baton, requests}');
  }
  const stream = acquireStream(body.baton);
  try {
    const results = body.requests.map((r) => {
      try {
        return { type: 'ok', response: handleStreamRequest(stream, r) };
      } catch (err) {
        if (err instanceof StmtError) return { type: 'error', error: errorToWire(err) };
        throw err;
      }
    });
    return { baton: releaseStream(stream), base_url: null, results };
  } catch (err) {
    closeStream(stream); // sqld drops a stream whose request failed with a protocol error
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP.

function send(res, status, contentType, body) {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
const sendJson = (res, status, value) => send(res, status, 'application/json', JSON.stringify(value));
const sendText = (res, status, text) => send(res, status, 'text/plain', text);

/** The statements of a pipeline, shortened: what --log-requests prints per request. */
function logLine(body) {
  try {
    const sqls = [];
    for (const r of JSON.parse(body).requests ?? []) {
      if (r.stmt?.sql) sqls.push(r.stmt.sql);
      for (const step of r.batch?.steps ?? []) if (step.stmt?.sql) sqls.push(step.stmt.sql);
      if (r.type === 'close') sqls.push('(close)');
    }
    return sqls.map((q) => q.replace(/\s+/g, ' ').slice(0, 70)).join(' | ');
  } catch {
    return '';
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function authorized(req) {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.*)$/i.exec(header);
  return match !== null && match[1].trim() === TOKEN;
}

async function handleHttp(req, res) {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  // Always drain the body so a keep-alive connection stays usable whatever we answer.
  const body = await readBody(req);

  if (path === '/_test/stats' && req.method === 'GET') return sendJson(res, 200, stats);
  if (path === '/_test/reset-stats' && req.method === 'POST') {
    stats.requests = stats.pipelines = stats.dumps = stats.statements = stats.expiredStreams = stats.wsRequests = stats.wsConnections = 0;
    stats.refused = [];
    return sendJson(res, 200, stats);
  }

  if (path === '/_test/stall' && req.method === 'POST') {
    stallUntil = Date.now() + Number(JSON.parse(body).forMs);
    return sendJson(res, 200, { stallUntil });
  }

  if (path === '/_test/dump-mode' && req.method === 'POST') {
    dumpMode = JSON.parse(body);
    return sendJson(res, 200, dumpMode);
  }

  stats.requests++;
  if (DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
  if (LOG_REQUESTS) process.stderr.write(`request ${stats.requests}: ${req.method} ${path} ${logLine(body)}\n`);
  if (path === '/dump' && req.method === 'GET') {
    if (!authorized(req)) return sendJson(res, 401, { error: 'Unauthorized: `The JWT is invalid`' });
    if (dumpMode.mode === 'absent') return sendText(res, 404, 'Not found');
    stats.dumps++;
    return serveDump(res, new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('preserve_row_ids') === 'true');
  }
  if (req.method === 'GET' && (path === '/' || path === '/health' || path === '/v2')) {
    return sendText(res, 200, 'Hello, this is HTTP API v2 (Hrana over HTTP)');
  }
  if (path !== '/v2/pipeline') return sendText(res, 404, 'Not found'); // e.g. /v3-protobuf: client falls back to v2
  if (req.method !== 'POST') return sendText(res, 405, 'Method not allowed');
  if (!authorized(req)) {
    // Turso answers JSON without `message`; the client then reports "Server returned HTTP status 401".
    return sendJson(res, 401, { error: 'Unauthorized: `The JWT is invalid`' });
  }

  stats.pipelines++;
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return sendText(res, 400, `Cannot deserialize client message from JSON: ${err.message}`);
  }
  try {
    return sendJson(res, 200, handlePipeline(parsed));
  } catch (err) {
    if (err instanceof ProtocolError) return sendText(res, 400, err.message);
    if (err instanceof StreamExpiredError) return sendJson(res, 500, { message: err.message, code: err.code });
    throw err;
  }
}

/** Streams the dump with backpressure, shaped by the test's dump mode. */
async function serveDump(res, preserveRowids) {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  const { mode, afterBytes = Infinity, find, replace } = dumpMode;
  let sent = 0;
  let altered = false;
  const stop = new Error('dump stopped on purpose');
  try {
    await exportDump(
      DB_PATH,
      async (text) => {
        if (mode === 'altered' && !altered && text.includes(find)) {
          text = text.replace(find, replace);
          altered = true;
        }
        let chunk = Buffer.from(text, 'utf8');
        if ((mode === 'truncated' || mode === 'cut') && sent + chunk.length > afterBytes) chunk = chunk.subarray(0, afterBytes - sent);
        sent += chunk.length;
        if (chunk.length > 0 && !res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        if ((mode === 'truncated' || mode === 'cut') && sent >= afterBytes) throw stop;
      },
      { preserveRowids },
    );
  } catch (err) {
    if (err !== stop) throw err;
    if (mode === 'cut') return res.destroy();
  }
  res.end();
}

const sockets = new Set();
const server = http.createServer((req, res) => {
  handleHttp(req, res).catch((err) => {
    process.stderr.write(`hrana: internal error: ${err?.stack ?? err}\n`);
    if (!res.headersSent) sendText(res, 500, `Internal server error: ${err?.message ?? err}`);
    else res.destroy();
  });
});
serveHranaWs(server, {
  authorizedToken: (token) => token === TOKEN,
  openStream,
  closeStream,
  handleStreamRequest,
  StmtError,
  ProtocolError,
  errorToWire,
  stats,
  delayMs: DELAY_MS,
  stalledFor: () => Math.max(0, stallUntil - Date.now()),
  log: LOG_REQUESTS ? (line) => process.stderr.write(`${line}\n`) : undefined,
});
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

function shutdown() {
  server.close();
  for (const socket of sockets) socket.destroy();
  for (const stream of [...liveStreams]) closeStream(stream);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (opts['exit-on-stdin-close']) {
  // The test helper holds our stdin open; if that process dies without stopping us, we go too.
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

server.listen(Number(opts.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
