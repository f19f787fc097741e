/**
 * The guide's five production smoke tests, run against the live schema inside ONE write
 * transaction that is always rolled back: the database is the same afterwards (`.dump`
 * identical). Optionally the application's own health check, with the key read from an
 * environment variable and never printed.
 */
import { randomBytes } from 'node:crypto';
import type { InArgs, ResultSet } from '@libsql/client';
import { messageOf, type SmokeTest, type Snapshot } from '../model/index.js';
import { inspect, type JournalEntry, readJournal, type Session, step, undoOfApplied } from '../engine/index.js';
import { sha256Hex } from '../sql/index.js';
import { decodeSafe, findTable, num, redactUrl, splitUserinfo, str } from '../db/index.js';
export type { SmokeTest } from '../model/index.js';

export interface SmokeReport {
  ok: boolean;
  tests: SmokeTest[];
}

export interface SmokeOptions {
  healthUrl?: string;
  /** The API key for the health check (from the environment; never printed). */
  apiKey?: string;
  onTest?: (test: SmokeTest) => void;
}

type Exec = (sql: string, args?: InArgs) => Promise<ResultSet>;
/** Query plans come from the schema alone, so they are read on their own connection (see Db.explain). */
type Explain = (sql: string, args?: InArgs) => Promise<Record<string, unknown>[]>;

class SmokeFailure extends Error {}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SmokeFailure(message);
}

type DatabaseTest = (exec: Exec, snapshot: Snapshot, ids: SmokeIds) => Promise<string>;

interface SmokeIds {
  userId: string;
  token: string;
  now: string;
}

export async function runSmoke(session: Session, options: SmokeOptions = {}): Promise<SmokeReport> {
  const snapshot = await inspect(session);
  return step(
    session,
    'check',
    'Smoke tests',
    async () => {
      const tests: SmokeTest[] = [];
      const token = `swsmoke${randomBytes(6).toString('hex')}`;
      const ids: SmokeIds = { userId: `schema-wizard-smoke-${token}`, token, now: new Date().toISOString() };
      // Query plans depend on the schema alone: read them before the write transaction opens. Read
      // inside it, on another connection, they can meet the writer's lock (with 64 KiB pages the
      // writer spills its cache to the file early and holds it exclusively).
      const plans = new Map<string, Record<string, unknown>[]>();
      for (const sql of [AUTH_LOOKUP, USAGE_LOOKUP]) {
        if (sql === AUTH_LOOKUP && !findTable(snapshot, 'users')?.columns.includes('api_key_hash')) continue;
        plans.set(sql, await session.db.explain(sql, sql === AUTH_LOOKUP ? ['0'.repeat(64)] : ['u', 'openai', '2025-01-01']).catch(() => []));
      }
      const explain: Explain = async (sql) => plans.get(sql) ?? [];
      // Tests whose verdict comes from the data alone can be re-run on the pre-migration state (below).
      const suite: { name: string; run: DatabaseTest; replayable: boolean }[] = [
        { name: 'user authentication', run: (exec, snap, i) => authentication(exec, explain, snap, i.userId, i.token, i.now), replayable: false },
        { name: 'memory creation and retrieval', run: (exec, snap, i) => memories(exec, snap, i.userId, i.token, i.now), replayable: true },
        { name: 'entity management', run: (exec, snap, i) => entities(exec, snap, i.userId, i.token, i.now), replayable: true },
        { name: 'vector search', run: (exec, _snap, i) => vectorSearch(exec, i.userId, i.now), replayable: true },
        { name: 'API usage tracking', run: (exec, _snap, i) => usageTracking(exec, explain, i.userId), replayable: false },
      ];
      await session.db.rolledBack(async (exec) => {
        for (const test of suite) tests.push(await timed(test.name, () => test.run(exec, snapshot, ids)));
      });
      const replay = suite.filter((t) => t.replayable && tests.find((r) => r.name === t.name)?.status === 'fail');
      if (replay.length > 0) await classifyPreExisting(session, snapshot, ids, tests, replay);
      for (const test of tests) options.onTest?.(test);
      if (options.healthUrl) {
        const health = await timed('application health check', () => healthCheck(options.healthUrl!, options.apiKey));
        tests.push(health);
        options.onTest?.(health);
      }
      return { ok: tests.every((t) => t.status !== 'fail'), tests };
    },
    (r) => `${r.tests.filter((t) => t.status === 'pass').length} of ${r.tests.length} passed`,
  );
}

async function timed(name: string, body: () => Promise<string>): Promise<SmokeTest> {
  const started = performance.now();
  let test: SmokeTest;
  try {
    test = { name, status: 'pass', ms: 0, detail: await body() };
  } catch (error) {
    test = { name, status: 'fail', ms: 0, detail: messageOf(error) };
  }
  test.ms = Math.round((performance.now() - started) * 10) / 10;
  return test;
}

/**
 * Only what the migration changed may fail the run. Inside one more transaction that is always
 * rolled back, the applied phases are undone (the rollback plan, foreign keys deferred so
 * nothing is checked before the discard) and each failed test runs again: one that fails the
 * same way there was already failing before the migration.
 */
async function classifyPreExisting(
  session: Session,
  snapshot: Snapshot,
  ids: SmokeIds,
  tests: SmokeTest[],
  replay: { name: string; run: DatabaseTest }[],
): Promise<void> {
  const journal = await readJournal(session.db, snapshot);
  const undo = undoOfApplied(snapshot, journal);
  if (!undo) return;
  const before = beforeMigration(snapshot, journal);
  await session.db
    .rolledBack(async (exec) => {
      await exec('PRAGMA defer_foreign_keys = ON');
      for (const statement of undo) await exec(statement.sql, statement.args);
      for (const test of replay) {
        const again = await timed(test.name, () => test.run(exec, before, ids));
        const result = tests.find((t) => t.name === test.name)!;
        if (again.status === 'fail' && again.detail === result.detail) {
          result.status = 'pre-existing';
          result.detail = `${result.detail}: it fails the same way on the database as it was before the migration, so the migration did not cause it${fixFor(snapshot, test.name)}`;
        }
      }
    })
    .catch(() => undefined);
}

/** The snapshot as the tests need it before the migration: the key column under its old name. */
function beforeMigration(snapshot: Snapshot, journal: JournalEntry[]): Snapshot {
  const renames = journal.filter((e) => e.action === 'apply' && e.undoneBy === null).flatMap((e) => e.renamed);
  return {
    ...snapshot,
    tables: snapshot.tables.map((t) => {
      const r = renames.filter((x) => x.table === t.name);
      return r.length ? { ...t, columns: t.columns.map((c) => r.find((x) => x.to === c)?.from ?? c) } : t;
    }),
  };
}

/** The known defect of the application's own schema, with its fix. */
function fixFor(snapshot: Snapshot, test: string): string {
  if (test !== 'entity management') return '.';
  const plainDelete = snapshot.triggers.find(
    (t) => t.table === 'entities' && /after\s+delete/i.test(t.sql ?? '') && /delete\s+from\s+["`[]?entities_fts/i.test(t.sql ?? ''),
  );
  if (!plainDelete) return '.';
  return (
    `. Cause: trigger ${plainDelete.name} runs a plain DELETE on entities_fts, an external-content FTS5 table, which leaves the deleted entity's terms indexed. ` +
    `Fix (in the application's schema): INSERT INTO entities_fts(entities_fts, rowid, name, description, notes, tags) VALUES ('delete', old.id, old.name, old.description, old.notes, old.tags), then INSERT INTO entities_fts(entities_fts) VALUES ('rebuild') once.`
  );
}

const AUTH_LOOKUP = 'SELECT id FROM users WHERE api_key_hash = ?';
const USAGE_LOOKUP = 'SELECT sum(tokens_used) FROM api_usage_tracking WHERE user_id = ? AND api_provider = ? AND date = ?';

/** A throwaway user whose key is stored as SHA-256 hex is found by hash, through idx_users_api_key_hash. */
async function authentication(exec: Exec, explain: Explain, snapshot: Snapshot, userId: string, token: string, now: string): Promise<string> {
  const columns = findTable(snapshot, 'users')?.columns ?? [];
  const key = `mcp_${token}_${randomBytes(16).toString('hex')}`;
  // The throwaway user the other tests' rows belong to exists whatever this test finds.
  const keyColumn = columns.includes('api_key_hash') ? 'api_key_hash' : columns.includes('api_key') ? 'api_key' : null;
  await exec(
    `INSERT INTO users (id, email, name, ${keyColumn ? `${keyColumn}, ` : ''}is_active, created_at, updated_at) VALUES (?, ?, ?, ${keyColumn ? '?, ' : ''}1, ?, ?)`,
    [userId, `${token}@schema-wizard.invalid`, 'schema-wizard smoke test', ...(keyColumn ? [sha256Hex(key)] : []), now, now],
  );
  expect(keyColumn === 'api_key_hash', 'users has no api_key_hash column: the application cannot authenticate anyone (apply Phase 2)');
  const found = await exec('SELECT id FROM users WHERE api_key_hash = ?', [sha256Hex(key)]);
  expect(found.rows.length === 1 && str(found.rows[0].id) === userId, 'the user was not found by the hash of its key');
  const plan = await explain(AUTH_LOOKUP);
  const detail = plan.map((r) => str(r.detail)).join('; ');
  expect(/idx_users_api_key_hash/.test(detail), `the lookup does not use idx_users_api_key_hash (${detail})`);
  return 'found by SHA-256 of the key, using idx_users_api_key_hash';
}

async function memories(exec: Exec, snapshot: Snapshot, userId: string, token: string, now: string): Promise<string> {
  const inserted = await exec('INSERT INTO memories (user_id, title, content, memory_type, importance, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    userId,
    `${token} smoke memory`,
    'Written by schema-wizard smoke tests inside a rolled-back transaction.',
    'semantic',
    2n,
    now,
    now,
  ]);
  const id = inserted.lastInsertRowid!;
  const read = await exec('SELECT title FROM memories WHERE id = ? AND user_id = ?', [id, userId]);
  expect(read.rows.length === 1 && str(read.rows[0].title).startsWith(token), 'the memory could not be read back');
  expect(Boolean(findTable(snapshot, 'memories_fts')), 'memories_fts is missing: full-text search cannot work');
  const hits = await exec('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?', [token]);
  expect(
    hits.rows.some((r) => num(r.rowid) === Number(id)),
    'memories_fts MATCH did not find the new memory (FTS trigger not firing?)',
  );
  return `memory ${id} created, read back, found by memories_fts MATCH`;
}

async function entities(exec: Exec, snapshot: Snapshot, userId: string, token: string, now: string): Promise<string> {
  const inserted = await exec('INSERT INTO entities (user_id, name, entity_type, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    userId,
    `${token} Entity`,
    'person',
    'smoke test entity',
    now,
    now,
  ]);
  const id = inserted.lastInsertRowid!;
  const renamed = `${token}renamed`;
  await exec('UPDATE entities SET name = ?, updated_at = ? WHERE id = ?', [renamed, now, id]);
  const read = await exec('SELECT name FROM entities WHERE id = ?', [id]);
  expect(str(read.rows[0]?.name) === renamed, 'the entity update was not visible');
  const fts = Boolean(findTable(snapshot, 'entities_fts'));
  if (fts) {
    const hit = await exec('SELECT rowid FROM entities_fts WHERE entities_fts MATCH ?', [renamed]);
    expect(
      hit.rows.some((r) => num(r.rowid) === Number(id)),
      'entities_fts did not follow the update',
    );
  }
  await exec('DELETE FROM entities WHERE id = ?', [id]);
  const gone = await exec('SELECT count(*) AS n FROM entities WHERE id = ?', [id]);
  expect(num(gone.rows[0].n) === 0, 'the entity was not deleted');
  if (fts) {
    const after = await exec('SELECT count(*) AS n FROM entities_fts WHERE entities_fts MATCH ?', [renamed]);
    expect(num(after.rows[0].n) === 0, 'entities_fts still finds the deleted entity');
  }
  return `created, updated, deleted${fts ? '; entities_fts followed each change' : '; entities_fts absent, full-text part skipped'}`;
}

/** libSQL vector functions over the TEXT JSON embeddings the schema stores. */
async function vectorSearch(exec: Exec, userId: string, now: string): Promise<string> {
  const vectors = ['[1,0,0,0]', '[0,1,0,0]', '[0,0,1,0]'];
  const ids: bigint[] = [];
  for (const [i, embedding] of vectors.entries()) {
    const r = await exec('INSERT INTO memories (user_id, title, content, memory_type, embedding, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      userId,
      `vector ${i}`,
      'vector smoke test',
      'semantic',
      embedding,
      now,
      now,
    ]);
    ids.push(r.lastInsertRowid!);
  }
  const nearest = await exec(
    'SELECT id, vector_distance_cos(vector32(embedding), vector32(?)) AS distance FROM memories WHERE user_id = ? AND embedding IS NOT NULL ORDER BY distance LIMIT 1',
    ['[0.1,0.9,0.05,0]', userId],
  );
  expect(nearest.rows.length === 1, 'the vector query returned nothing');
  expect(BigInt(nearest.rows[0].id as bigint) === ids[1], `nearest memory was ${nearest.rows[0].id}, expected ${ids[1]}`);
  return `vector_distance_cos found the nearest memory (distance ${num(nearest.rows[0].distance).toFixed(4)})`;
}

async function usageTracking(exec: Exec, explain: Explain, userId: string): Promise<string> {
  const day = new Date().toISOString().slice(0, 10);
  const rows: [string, bigint, number][] = [
    ['openai', 100n, 0.001],
    ['openai', 50n, 0.0005],
    ['openrouter', 10n, 0.0001],
  ];
  for (const [i, [provider, tokens, cost]] of rows.entries()) {
    await exec(
      'INSERT INTO api_usage_tracking (id, user_id, api_provider, model, tokens_used, cost_usd, operation_type, timestamp, date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [`${userId}-${i}`, userId, provider, 'text-embedding-3-small', tokens, cost, 'embedding', BigInt(Date.now()), day],
    );
  }
  const totals = await exec(
    'SELECT api_provider, date, sum(tokens_used) AS tokens, count(*) AS calls FROM api_usage_tracking WHERE user_id = ? AND date = ? GROUP BY api_provider, date ORDER BY api_provider',
    [userId, day],
  );
  const got = totals.rows.map((r) => `${str(r.api_provider)}:${num(r.tokens)}:${num(r.calls)}`).join(',');
  expect(got === 'openai:150:2,openrouter:10:1', `aggregation gave ${got}`);
  const plan = await explain(USAGE_LOOKUP);
  const detail = plan.map((r) => str(r.detail)).join('; ');
  expect(/INDEX/.test(detail), `the per-user/provider/date aggregation scans the table (${detail})`);
  return `per-user/provider/date totals correct; ${/INDEX (\S+)/.exec(detail)?.[1] ?? 'an index'} used`;
}

async function healthCheck(url: string, apiKey: string | undefined): Promise<string> {
  // fetch refuses a URL with credentials (and puts the URL in its error): they go in a header.
  const parts = splitUserinfo(url);
  let target: URL;
  try {
    target = new URL(parts?.rest ?? url);
  } catch {
    throw new SmokeFailure(`--health-url is not a URL (${redactUrl(url)})`);
  }
  const headers: Record<string, string> = apiKey ? { 'X-API-Key': apiKey } : {};
  if (parts?.userinfo != null) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeSafe(parts.user)}:${decodeSafe(parts.password ?? '')}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetch(target, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new SmokeFailure(`the health check at ${redactUrl(url)} did not answer (${redactUrl(messageOf(error))})`);
  }
  expect(response.ok, `HTTP ${response.status} from the health check at ${redactUrl(url)}`);
  return `HTTP ${response.status}${apiKey ? ' with X-API-Key' : ''}`;
}
