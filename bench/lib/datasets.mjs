// Benchmark databases: generated once per (size, seed, generator version) with the project's own
// generator, cached, and only ever used through copies (every step writes or could write).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createV1Database } from '../../dist/core/demo/demo.js';
import { ROOT, sqlite } from './exec.mjs';

/** "1k" | "10k" | "100k" | "2500" -> number of memories. */
export function parseSize(text) {
  const m = /^(\d+)(k?)$/i.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new Error(`bad size "${text}": use 1k, 10k, 100k or a plain number`);
  return Number(m[1]) * (m[2] ? 1000 : 1);
}

export const sizeLabel = (n) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** The ratios: entities = n/5, interactions = n/2, usage = 2n, 1536-d TEXT embeddings. */
export function datasetOptions(memories, seed) {
  return {
    // Users and learned_patterns are not specified by the issue; 1 per 100 memories (min 10) keeps
    // per-user index fan-out realistic and gives Phase 1's archive step real rows to copy.
    users: Math.max(10, Math.round(memories / 100)),
    memories,
    entities: Math.floor(memories / 5),
    interactions: Math.floor(memories / 2),
    usage: memories * 2,
    embeddingDims: 1536,
    seed,
    learnedPatterns: Math.max(10, Math.round(memories / 100)),
    // Keys are all SHA-256 hex, so verify has no plaintext-key WARN to explain away.
    plaintextKeys: 0,
  };
}

/** Changes when the generator or the schema it writes changes, so a stale cache is never reused. */
function generatorVersion() {
  const h = createHash('sha256');
  for (const f of ['dist/core/demo/demo.js', 'dist/core/sql/v1-schema.js']) h.update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest('hex').slice(0, 10);
}

/** Returns the cached v1 database for this size, generating it first if needed. */
export async function cachedDatabase(cacheDir, memories, seed, log) {
  const options = datasetOptions(memories, seed);
  const file = path.join(cacheDir, `v1-${sizeLabel(memories)}-seed${seed}-${generatorVersion()}.db`);
  if (fs.existsSync(file)) return { file, options, generatedMs: null };
  fs.mkdirSync(cacheDir, { recursive: true });
  // Generate under a temporary name: an interrupted run never leaves a half-built "cached" file.
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  log(`generating ${path.basename(file)} (${memories} memories, 1536-d embeddings)...`);
  const started = performance.now();
  await createV1Database(partial, options);
  const generatedMs = performance.now() - started;
  fs.renameSync(partial, file);
  return { file, options, generatedMs };
}

/**
 * A working copy (the cached file is never opened for writing), flushed to disk before it is
 * used: otherwise the first commit on it pays for writing the whole fresh copy out (measured:
 * 0.7 s for a table created in the 1.75 GB copy), which a production database never does.
 */
export function copyOf(src, dest) {
  fs.rmSync(dest, { force: true });
  fs.copyFileSync(src, dest);
  const fd = fs.openSync(dest, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return dest;
}

/** File size, page_count x page_size, and used bytes = (page_count - freelist_count) x page_size. */
export async function storage(db) {
  const r = await sqlite(db, 'PRAGMA page_count; PRAGMA page_size; PRAGMA freelist_count;');
  const [pageCount, pageSize, freelist] = r.stdout.trim().split('\n').map(Number);
  return {
    fileBytes: fs.statSync(db).size,
    pageSize,
    pageCount,
    pages: pageCount * pageSize,
    usedBytes: (pageCount - freelist) * pageSize,
    freeBytes: freelist * pageSize,
  };
}
