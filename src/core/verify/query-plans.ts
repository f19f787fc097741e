/**
 * "Read queries same or better", measured: EXPLAIN QUERY PLAN of the application's own queries.
 * Each must be served by an index; every one of them had an index on v1, so a full scan is a
 * regression and fails.
 */
import { type Db, findTable, type Row, str } from '../db/index.js';
import { type Check, checkFailure, messageOf, type Snapshot } from '../model/index.js';
import { scansBeforeMigration } from '../engine/index.js';

interface AppQuery {
  name: string;
  table: string;
  sql: (snapshot: Snapshot) => string | null;
  args: (string | bigint)[];
}

/** The users key column as the snapshot found it (api_key_hash after Phase 2, api_key before). */
const keyColumn = (s: Snapshot) => s.plaintextKeys?.column ?? null;

/**
 * The application's queries (mcp-memory-ts: by user, by type, by API key hash, by date), and the
 * lookups SQLite itself makes for the foreign keys when a user is deleted (ON DELETE CASCADE into
 * four tables). Each had an index on v1 and on the application's own v1.1.2 schema.
 */
export const APP_QUERIES: AppQuery[] = [
  {
    name: 'entities by user, newest first',
    table: 'entities',
    sql: () => 'SELECT * FROM entities WHERE user_id = ? ORDER BY created_at DESC LIMIT ?',
    args: ['u', 20n],
  },
  {
    name: 'entities by user and type',
    table: 'entities',
    sql: () => 'SELECT id, name FROM entities WHERE user_id = ? AND entity_type = ?',
    args: ['u', 'person'],
  },
  {
    name: 'memories by user, newest first',
    table: 'memories',
    sql: () => 'SELECT * FROM memories WHERE user_id = ? ORDER BY created_at DESC LIMIT ?',
    args: ['u', 20n],
  },
  {
    name: 'memories by user and type',
    table: 'memories',
    sql: () => 'SELECT id, title FROM memories WHERE user_id = ? AND memory_type = ? ORDER BY created_at DESC LIMIT 20',
    args: ['u', 'semantic'],
  },
  {
    name: 'memories by user and archived flag',
    table: 'memories',
    sql: () => 'SELECT id, title FROM memories WHERE user_id = ? AND is_archived = ?',
    args: ['u', 0n],
  },
  {
    name: 'interactions by user, newest first',
    table: 'interactions',
    sql: () => 'SELECT * FROM interactions WHERE user_id = ? ORDER BY created_at DESC LIMIT ?',
    args: ['u', 20n],
  },
  { name: 'interactions counted per user', table: 'interactions', sql: () => 'SELECT count(*) FROM interactions WHERE user_id = ?', args: ['u'] },
  {
    name: 'interactions per user per day',
    table: 'interactions',
    sql: () => 'SELECT count(*) FROM interactions WHERE user_id = ? AND DATE(created_at) = ?',
    args: ['u', '2025-01-01'],
  },
  {
    name: 'usage by user and date',
    table: 'api_usage_tracking',
    sql: () => 'SELECT sum(tokens_used), sum(cost_usd) FROM api_usage_tracking WHERE user_id = ? AND date = ?',
    args: ['u', '2025-01-01'],
  },
  {
    name: 'usage by user, provider and date',
    table: 'api_usage_tracking',
    sql: () => 'SELECT sum(tokens_used), sum(cost_usd) FROM api_usage_tracking WHERE user_id = ? AND api_provider = ? AND date = ?',
    args: ['u', 'openai', '2025-01-01'],
  },
  {
    name: 'user by API key hash',
    table: 'users',
    sql: (s) => (keyColumn(s) ? `SELECT id FROM users WHERE ${keyColumn(s)} = ?` : null),
    args: ['0'.repeat(64)],
  },
  { name: 'user by email', table: 'users', sql: () => 'SELECT id FROM users WHERE email = ?', args: ['a@example.com'] },
  ...['entities', 'memories', 'interactions', 'api_usage_tracking'].map((table) => ({
    name: `foreign key lookup on user delete: ${table}`,
    table,
    sql: () => `SELECT 1 FROM ${table} WHERE user_id = ?`,
    args: ['u'],
  })),
];

/** The snapshot with the users key column under its pre-Phase-2 name, for explaining queries before the migration. */
function beforeRename(snapshot: Snapshot): Snapshot {
  const keys = snapshot.plaintextKeys;
  return keys && keys.column === 'api_key_hash' ? { ...snapshot, plaintextKeys: { ...keys, column: 'api_key' } } : snapshot;
}

export interface PlanOutcome {
  index: string | null;
  /** A full SCAN of a table (through an index or not): every row read. */
  scan: boolean;
  detail: string;
}

export async function explain(db: Db, sql: string, args: (string | bigint)[]): Promise<PlanOutcome> {
  return planOutcome(await db.explain(sql, args));
}

function planOutcome(rows: Row[]): PlanOutcome {
  const details = rows.map((r) => str(r.detail));
  const using =
    details.map((d) => /USING (?:COVERING )?INDEX (\S+)/.exec(d)?.[1] ?? (/USING INTEGER PRIMARY KEY/.test(d) ? 'INTEGER PRIMARY KEY' : null)).find(Boolean) ??
    null;
  const scan = details.some((d) => /^SCAN (?!CONSTANT ROW)/.test(d.trim()));
  return { index: scan ? null : using, scan, detail: details.join('; ') };
}

/**
 * Every plan in one read transaction; where one cannot be explained (a column the database has
 * lost, say), each is explained on its own so that one fails its check and the others still count.
 */
async function explainEach(db: Db, stmts: { sql: string; args: (string | bigint)[] }[]): Promise<(PlanOutcome | Error)[]> {
  try {
    return (await db.explainAll(stmts)).map(planOutcome);
  } catch (error) {
    checkFailure(error);
    return Promise.all(stmts.map((s) => explain(db, s.sql, s.args).catch(checkFailure)));
  }
}

/**
 * `undo`: the statements that undo the applied phases (empty when none is applied). A query
 * that scans now but scanned before the migration too is a warning, not a failure: the
 * migration did not cause it.
 */
export async function queryPlanChecks(db: Db, snapshot: Snapshot, undo: { sql: string; args?: unknown }[] = []): Promise<Check[]> {
  const checks: Check[] = [];
  let before: Map<string, boolean> | null = null;
  const scannedBefore = (q: AppQuery) => {
    if (undo.length === 0) return false;
    before ??= scansBeforeMigration(
      snapshot,
      undo,
      APP_QUERIES.flatMap((x) => {
        const text = x.sql(beforeRename(snapshot));
        return text ? [{ name: x.name, sql: text, args: x.args }] : [];
      }),
    );
    return before.get(q.name) === true;
  };
  const texts = APP_QUERIES.map((q) => (findTable(snapshot, q.table) ? q.sql(snapshot) : null));
  const runnable = APP_QUERIES.flatMap((q, i) => (texts[i] ? [{ query: i, sql: texts[i], args: q.args }] : []));
  const explained = await explainEach(db, runnable);
  const plans = new Map(runnable.map((r, i) => [r.query, explained[i]]));
  for (const [i, q] of APP_QUERIES.entries()) {
    const name = `query plan: ${q.name}`;
    const text = texts[i];
    if (!text) {
      checks.push({ name, phase: 'queries', status: 'fail', detail: `cannot run: ${q.table} or its key column is missing` });
      continue;
    }
    const plan = plans.get(i)!;
    if (plan instanceof Error) {
      checks.push({ name, phase: 'queries', status: 'fail', detail: `cannot be explained: ${messageOf(plan)}` });
      continue;
    }
    const already = !plan.index && scannedBefore(q);
    checks.push({
      name,
      phase: 'queries',
      status: plan.index ? 'pass' : already ? 'warn' : 'fail',
      detail: plan.index
        ? `uses ${plan.index}`
        : already
          ? `full scan (${plan.detail}), as before the migration: a pre-existing gap of this database's indexes, not caused by the migration`
          : `full scan, no index (${plan.detail}); v1 had an index for this query`,
    });
  }
  return checks;
}
