/**
 * Builds MCP Memory v1 databases with deterministic data: the wizard's --demo, the tests and the
 * benchmark all use it. Rows are written in large transactions through the real client.
 */
import fs from 'node:fs';
import { createClient, type InStatement } from '@libsql/client';
import { sha256Hex, splitStatements, V1_SCHEMA_SQL } from '../sql/index.js';
import { fileUrlOf } from '../db/index.js';

export interface DemoOptions {
  users?: number;
  memories?: number;
  /** Entities, interactions and usage rows default to the benchmark's ratios of memories. */
  entities?: number;
  interactions?: number;
  usage?: number;
  learnedPatterns?: number;
  /** Users whose api_key holds a plaintext key instead of a SHA-256 hex digest. */
  plaintextKeys?: number;
  embeddingDims?: number;
  seed?: number;
  /** Omit entities_fts and its triggers, as some production copies do. */
  withoutEntitiesFts?: boolean;
}

/** A small deterministic PRNG (mulberry32): same seed, same database. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'project',
  'meeting',
  'design',
  'budget',
  'review',
  'launch',
  'customer',
  'schema',
  'index',
  'memory',
  'vector',
  'search',
  'deadline',
  'travel',
  'invoice',
  'research',
];
const TYPES = ['semantic', 'episodic', 'procedural', 'working'];
const ENTITY_TYPES = ['person', 'organization', 'project', 'concept', 'location'];

export async function createV1Database(path: string, options: DemoOptions = {}): Promise<void> {
  if (fs.existsSync(path)) throw new Error(`refusing to overwrite ${path}`);
  const o = {
    users: options.users ?? 5,
    memories: options.memories ?? 200,
    embeddingDims: options.embeddingDims ?? 16,
    seed: options.seed ?? 42,
    learnedPatterns: options.learnedPatterns ?? 12,
    plaintextKeys: options.plaintextKeys ?? 2,
  };
  const entities = options.entities ?? Math.floor(o.memories / 5);
  const interactions = options.interactions ?? Math.floor(o.memories / 2);
  const usage = options.usage ?? o.memories * 2;
  const rand = prng(o.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const day = (i: number) => new Date(Date.UTC(2025, 0, 1) + (i % 270) * 86_400_000).toISOString();

  const client = createClient({ url: fileUrlOf(path) });
  try {
    let schema = splitStatements(V1_SCHEMA_SQL).filter((s) => !/^INSERT/i.test(s));
    if (options.withoutEntitiesFts) schema = schema.filter((s) => !/entities_fts/.test(s));
    await client.batch(schema, 'write');
    await client.execute({ sql: 'INSERT INTO schema_version VALUES (?, ?)', args: [1, '2025-09-27T00:00:00Z'] });

    const userIds = Array.from({ length: o.users }, (_, i) => `user-${String(i + 1).padStart(4, '0')}`);
    await client.batch(
      userIds.map((id, i) => ({
        sql: 'INSERT INTO users (id, email, name, organization, api_key, is_active, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)',
        args: [
          id,
          `${id}@example.com`,
          `User ${i + 1}`,
          i % 2 ? 'Acme' : null,
          // The first users keep plaintext keys (the hazard Phase 2 must flag); the rest are hashed.
          i < o.plaintextKeys ? `mcp_plain_key_${i + 1}` : sha256Hex(`mcp_key_${id}`),
          JSON.stringify({ plan: i % 3 ? 'pro' : 'free' }),
          day(i),
          day(i + 1),
        ],
      })),
      'write',
    );

    await insertInChunks(client, o.memories, (i) => ({
      sql:
        'INSERT INTO memories (user_id, title, content, memory_type, importance, tags, entity_ids, embedding, metadata, is_archived, created_at, updated_at, uuid, sentiment, active) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
      args: [
        pick(userIds),
        `${words(3)} ${i}`,
        `${words(24)}.`,
        pick(TYPES),
        1 + Math.floor(rand() * 4),
        JSON.stringify([pick(WORDS), pick(WORDS)]),
        JSON.stringify([1 + Math.floor(rand() * Math.max(1, entities))]),
        embedding(rand, o.embeddingDims),
        null,
        rand() < 0.1 ? 1 : 0,
        day(i),
        day(i),
        `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        Math.round(rand() * 100) / 100,
      ],
    }));
    await insertInChunks(client, entities, (i) => ({
      sql: 'INSERT INTO entities (user_id, name, entity_type, description, notes, importance, tags, created_at, updated_at, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
      args: [pick(userIds), `Entity ${i} ${pick(WORDS)}`, pick(ENTITY_TYPES), words(8), words(5), 1 + Math.floor(rand() * 4), pick(WORDS), day(i), day(i)],
    }));
    await insertInChunks(client, interactions, (i) => ({
      sql: 'INSERT INTO interactions (user_id, user_prompt, assistant_response, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      args: [pick(userIds), words(10), words(30), day(i), day(i)],
    }));
    await insertInChunks(client, usage, (i) => ({
      sql: 'INSERT INTO api_usage_tracking (id, user_id, api_provider, model, tokens_used, cost_usd, operation_type, timestamp, date, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)',
      args: [
        `usage-${i}`,
        pick(userIds),
        rand() < 0.7 ? 'openai' : 'openrouter',
        'text-embedding-3-small',
        Math.floor(rand() * 2000),
        Math.round(rand() * 10000) / 1e6,
        'embedding',
        1735689600000 + i * 60_000,
        day(i).slice(0, 10),
      ],
    }));
    await insertInChunks(client, o.learnedPatterns, (i) => ({
      sql: 'INSERT INTO learned_patterns (user_id, pattern_type, pattern_data, confidence, usage_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      args: [pick(userIds), pick(['preference', 'habit', 'topic']), JSON.stringify({ w: words(2) }), Math.round(rand() * 100) / 100, i, day(i), day(i)],
    }));
  } finally {
    client.close();
  }
}

function embedding(rand: () => number, dims: number): string {
  const values = new Array<string>(dims);
  for (let d = 0; d < dims; d++) values[d] = (rand() * 2 - 1).toFixed(6);
  return `[${values.join(',')}]`;
}

async function insertInChunks(client: ReturnType<typeof createClient>, count: number, make: (i: number) => InStatement, chunk = 2_000): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const stmts: InStatement[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) stmts.push(make(i));
    await client.batch(stmts, 'write');
  }
}
