// Hashing plaintext API keys at scale: `apply --phase 2 --hash-plaintext-keys` on a database where
// every one of N users holds a plaintext key, timed as a separate process with its peak RSS, and
// the size of the journal row it wrote (it must not grow with N).
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { createV1Database } from '../../dist/core/demo/demo.js';
import { CLI, timed } from './exec.mjs';

/** Builds the database: v1 with `users` users, all keys plaintext, and little else. */
async function keysDatabase(file, users) {
  await createV1Database(file, { users: 10, memories: 20, learnedPatterns: 0, plaintextKeys: 0 });
  const client = createClient({ url: `file:${file}` });
  try {
    const chunk = 5_000;
    for (let i = 0; i < users; i += chunk) {
      const n = Math.min(chunk, users - i);
      const stmts = Array.from({ length: n }, (_, j) => ({
        sql: "INSERT INTO users (id, email, api_key, created_at, updated_at) VALUES (?, ?, ?, '2025-01-01', '2025-01-01')",
        args: [`k-${i + j}`, `k-${i + j}@example.com`, `mcp_plain_key_${i + j}`],
      }));
      await client.batch(stmts, 'write');
    }
  } finally {
    client.close();
  }
}

export async function plaintextKeys(work, users, log) {
  const file = path.join(work, 'keys.db');
  fs.rmSync(file, { force: true });
  log(`plaintext keys: building ${users} users`);
  await keysDatabase(file, users);
  await timed(process.execPath, [CLI, 'apply', '--db', file, '--phase', '1', '--yes', '--no-backup']);
  log('plaintext keys: apply --phase 2 --hash-plaintext-keys');
  const r = await timed(process.execPath, [CLI, 'apply', '--db', file, '--phase', '2', '--yes', '--no-backup', '--hash-plaintext-keys', '--json']);
  if (r.code !== 0) throw new Error(`apply --hash-plaintext-keys failed (exit ${r.code}): ${r.stderr.slice(-400)}`);
  const hashed = JSON.parse(r.stdout).report.warnings.find((w) => /plaintext API keys? (was|were) replaced/.test(w)) ?? '';
  const client = createClient({ url: `file:${file}` });
  let journalBytes = 0;
  let left = -1;
  try {
    journalBytes = Number(
      (await client.execute("SELECT length(statements) + length(dropped) + length(created) AS n FROM _schema_wizard_journal WHERE phase = 'phase2'")).rows[0].n,
    );
    left = Number(
      (await client.execute("SELECT count(*) AS n FROM users WHERE NOT (length(api_key_hash) = 64 AND api_key_hash NOT GLOB '*[^0-9a-f]*')")).rows[0].n,
    );
  } finally {
    client.close();
  }
  fs.rmSync(file, { force: true });
  return { users, ms: r.ms, rssMiB: r.rssKiB / 1024, journalBytes, hashedReported: Number(/^(\d+)/.exec(hashed)?.[1] ?? 0), plaintextLeft: left };
}
