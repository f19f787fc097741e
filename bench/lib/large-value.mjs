// One very large value: a learned_patterns row holding an N MB BLOB (v1 at 1k memories around it).
// `apply --phase all --yes` (its verified .db backup included), `rollback --phase all`, and
// `backup --format sql` each run as a separate process, timed with their peak RSS. Apply must
// stay under 300 MB whatever the value's size (issue 12): nothing on that path reads the value.
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { createV1Database } from '../../dist/core/demo/demo.js';
import { CLI, timed } from './exec.mjs';

export const APPLY_RSS_LIMIT_MIB = 300;

async function step(what, args) {
  const r = await timed(process.execPath, [CLI, ...args]);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.slice(-400)}`);
  return { ms: r.ms, rssMiB: r.rssKiB / 1024 };
}

export async function largeValue(work, megabytes, log) {
  const file = path.join(work, 'large.db');
  const backups = path.join(work, 'backups');
  fs.rmSync(file, { force: true });
  log(`large value: building a ${megabytes} MB BLOB in learned_patterns`);
  await createV1Database(file, { memories: 1000, learnedPatterns: 10, plaintextKeys: 0 });
  const client = createClient({ url: `file:${file}` });
  try {
    await client.execute(
      `UPDATE learned_patterns SET pattern_data = randomblob(${megabytes * 1_000_000}) WHERE rowid = (SELECT min(rowid) FROM learned_patterns)`,
    );
  } finally {
    client.close();
  }
  const fileBytes = fs.statSync(file).size;
  log('large value: apply --phase all --yes');
  const apply = await step('apply', ['apply', '--db', file, '--phase', 'all', '--yes', '--backup-dir', backups]);
  log('large value: rollback --phase all --yes --no-backup');
  const rollback = await step('rollback', ['rollback', '--db', file, '--phase', 'all', '--yes', '--no-backup']);
  fs.rmSync(backups, { recursive: true, force: true });
  log('large value: backup --format sql');
  const dump = await step('backup --format sql', ['backup', '--db', file, '--format', 'sql', '--backup-dir', backups]);
  fs.rmSync(backups, { recursive: true, force: true });
  fs.rmSync(file, { force: true });
  return { megabytes, fileBytes, apply, rollback, dump, applyWithinLimit: apply.rssMiB < APPLY_RSS_LIMIT_MIB };
}
