/** Real libSQL files in temp dirs: every test builds its own database and reads it back directly. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { openDb, type Db, type DbOptions } from '../../src/core/db/db.js';
import { releaseStatements } from '../../src/core/db/memory.js';
import { createV1Database, type DemoOptions } from '../../src/core/demo/demo.js';
import { makeEmitter, type CoreEvent } from '../../src/core/model/events.js';
import { currentOperator, newRunId } from '../../src/core/model/operator.js';
import type { Session } from '../../src/core/engine/session.js';
import { fileUrlOf, resolveTarget } from '../../src/core/db/target.js';
import { connectionFor, type TargetKind } from './targets.js';

export function tempDir(prefix = 'sw-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh v1 database file (small: fast tests). */
export async function v1Database(options: DemoOptions = {}, dir = tempDir()): Promise<string> {
  const file = path.join(dir, 'memory.db');
  // No plaintext keys unless a test asks: Phase 2 refuses them without a decision.
  await createV1Database(file, { users: 4, memories: 60, plaintextKeys: 0, ...options });
  return file;
}

/** Runs SQL on a database file through its own short-lived client (setup of drift states). */
export async function sqlOn(file: string, statements: string[]): Promise<void> {
  const client = createClient({ url: fileUrlOf(file) });
  try {
    for (const sql of statements) await client.execute(sql);
  } finally {
    client.close();
  }
}

export async function rowsOf(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: fileUrlOf(file), intMode: 'bigint' });
  try {
    return (await client.execute(sql)).rows.map((r) => ({ ...r }));
  } finally {
    client.close();
  }
}

/** name -> verbatim DDL of every schema object outside our bookkeeping. */
export async function schemaOf(file: string): Promise<Record<string, string | null>> {
  const rows = await rowsOf(file, "SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE '\\_schema\\_wizard\\_%' ESCAPE '\\' ORDER BY name");
  return Object.fromEntries(rows.map((r) => [String(r.name), r.sql === null ? null : String(r.sql)]));
}

/** Every row of every plain table (and sqlite_sequence), ordered by rowid: the data that must survive. */
export async function contentsOf(file: string): Promise<Record<string, unknown[]>> {
  const tables = await rowsOf(
    file,
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_schema\\_wizard\\_%' ESCAPE '\\' ORDER BY name",
  );
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) out[String(name)] = await rowsOf(file, `SELECT rowid AS _rowid_, * FROM "${String(name)}" ORDER BY rowid`);
  out.sqlite_sequence = await rowsOf(file, 'SELECT name, seq FROM sqlite_sequence ORDER BY name');
  return out;
}

/**
 * contentsOf for data the driver cannot decode: every TEXT value as 'text:' + its hex, so
 * invalid UTF-8 compares byte for byte instead of aborting the process.
 */
export async function byteContentsOf(file: string): Promise<Record<string, unknown[]>> {
  const tables = await rowsOf(
    file,
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_schema\\_wizard\\_%' ESCAPE '\\' ORDER BY name",
  );
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const cols = (await rowsOf(file, `SELECT name FROM pragma_table_info('${String(name).replace(/'/g, "''")}')`)).map(
      (c) => `"${String(c.name).replace(/"/g, '""')}"`,
    );
    const list = cols.map((c) => `CASE typeof(${c}) WHEN 'text' THEN 'text:' || hex(${c}) ELSE ${c} END AS ${c}`).join(', ');
    out[String(name)] = await rowsOf(file, `SELECT rowid AS _rowid_, ${list} FROM "${String(name)}" ORDER BY rowid`);
  }
  out.sqlite_sequence = await rowsOf(file, 'SELECT name, seq FROM sqlite_sequence ORDER BY name');
  return out;
}

export interface TestSession extends Session {
  events: CoreEvent[];
}

/** `dbOptions`: e.g. a short busy timeout where a test makes a write meet another writer's lock. */
export async function openSession(file: string, command = 'test', kind: TargetKind = 'file', dbOptions: DbOptions = {}): Promise<TestSession> {
  const connection = await connectionFor(file, kind);
  const db: Db = await openDb(resolveTarget({ db: connection.db, authToken: connection.authToken }), dbOptions);
  const events: CoreEvent[] = [];
  return {
    db,
    events,
    emit: makeEmitter((e) => events.push(e)),
    runId: newRunId(),
    command,
    operator: currentOperator(),
    toolVersion: 'test',
  };
}

/** Opens a session on the file (directly, or through the loopback server), runs fn, closes the client. */
export async function withSession<T>(file: string, fn: (s: TestSession) => Promise<T>, kind: TargetKind = 'file'): Promise<T> {
  const session = await openSession(file, 'test', kind);
  try {
    return await fn(session);
  } finally {
    session.db.close();
  }
}

/**
 * The rows a migration must keep, keyed by table: learned_patterns (archived) and
 * sqlite_sequence (counter state) aside, the API key column under one name whatever it is called.
 */
export async function migratedDataOf(
  file: string,
  read: (file: string) => Promise<Record<string, unknown[]>> = contentsOf,
): Promise<Record<string, unknown[]>> {
  const all = await read(file);
  delete all.learned_patterns;
  delete all.sqlite_sequence;
  all.users = all.users.map((user) => {
    const u = user as Record<string, unknown>;
    const { api_key, api_key_hash, ...rest } = u;
    return { ...rest, key: 'api_key' in u ? api_key : api_key_hash };
  });
  return all;
}

/**
 * The local client's close() leaves native file handles open until they are collected: before
 * a CLI restore (which refuses while any other process has the file open), let them go.
 */
export async function releaseFileHandles(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  releaseStatements();
  await new Promise((resolve) => setImmediate(resolve));
}
