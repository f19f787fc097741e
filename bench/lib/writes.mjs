// Write throughput through @libsql/client, the engine the MCP Memory application writes with:
// memories (1536-d TEXT embeddings; the FTS triggers fire as in production) and api_usage_tracking
// rows, in transactions, timed around the transactions only (rows are built before the clock starts).
import { createClient } from '@libsql/client';
import { prng } from '../../dist/core/demo/demo.js';

export const WRITE_SHAPE = { memories: 2000, usage: 4000, transactions: 4 };
const WORDS = ['project', 'meeting', 'design', 'budget', 'review', 'launch', 'customer', 'schema', 'index', 'memory'];

/** The statements of one run: deterministic per (run, label) so before/after insert the same data. */
function statements(run, label, users) {
  const rand = prng(1000 + run);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const day = (i) => new Date(Date.UTC(2025, 9, 1) + (i % 90) * 86_400_000).toISOString();
  const memories = Array.from({ length: WRITE_SHAPE.memories }, (_, i) => ({
    sql: 'INSERT INTO memories (user_id, title, content, memory_type, importance, tags, entity_ids, embedding, is_archived, created_at, updated_at, uuid, sentiment, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 1)',
    args: [
      pick(users),
      `${words(3)} bench ${run}-${i}`,
      `${words(24)}.`,
      pick(['semantic', 'episodic']),
      1 + Math.floor(rand() * 4),
      JSON.stringify([pick(WORDS)]),
      '[]',
      `[${Array.from({ length: 1536 }, () => (rand() * 2 - 1).toFixed(6)).join(',')}]`,
      day(i),
      day(i),
      `bench-${label}-${run}-${i}`,
      0.5,
    ],
  }));
  const usage = Array.from({ length: WRITE_SHAPE.usage }, (_, i) => ({
    sql: 'INSERT INTO api_usage_tracking (id, user_id, api_provider, model, tokens_used, cost_usd, operation_type, timestamp, date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    args: [
      `bench-${label}-${run}-${i}`,
      pick(users),
      rand() < 0.7 ? 'openai' : 'openrouter',
      'text-embedding-3-small',
      Math.floor(rand() * 2000),
      0.0001,
      'embedding',
      1759276800000 + i * 1000,
      day(i).slice(0, 10),
    ],
  }));
  // Each transaction carries an equal share of both tables, as an application's writes interleave.
  const per = WRITE_SHAPE.transactions;
  return Array.from({ length: per }, (_, t) => [
    ...memories.slice((t * memories.length) / per, ((t + 1) * memories.length) / per),
    ...usage.slice((t * usage.length) / per, ((t + 1) * usage.length) / per),
  ]);
}

/** One run on `db`: returns rows per second. Runs append rows, so each run uses fresh ids. */
export async function writeRun(db, run, label) {
  const client = createClient({ url: `file:${db}` });
  try {
    const users = (await client.execute('SELECT id FROM users ORDER BY id')).rows.map((r) => r.id);
    const transactions = statements(run, label, users);
    const rows = transactions.reduce((n, t) => n + t.length, 0);
    const started = performance.now();
    for (const tx of transactions) await client.batch(tx, 'write');
    const ms = performance.now() - started;
    return { rows, ms, rowsPerSec: rows / (ms / 1000) };
  } finally {
    client.close();
  }
}
