/**
 * Values larger than any one piece a dump writes (8 MiB) and a learned_patterns row too large to
 * copy casually: every path that carries rows (the archive, rollback, .db and .sql backups,
 * restore) must bring back the exact bytes. How much memory that takes is the benchmark's
 * business (`npm run bench -- --large-value-mb 400`); here the bytes are what is checked.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { LARGE_VALUE_BYTES } from '../src/core/backup/dump.js';
import { runCli } from './support/cli.js';
import { releaseFileHandles, rowsOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';

const BLOB_BYTES = 3 * LARGE_VALUE_BYTES + 12_345;
/** '€' is 3 bytes in UTF-8: pieces of 8 MiB split characters, and the joined text must not care. */
const TEXT_CHARS = Math.ceil((2 * LARGE_VALUE_BYTES) / 3) + 7;

/** A v1 database whose first learned_patterns row holds a large BLOB and whose first memory holds a large TEXT. */
async function largeValuesDatabase(): Promise<string> {
  const file = await v1Database({ learnedPatterns: 5 }, tempDir('sw-large-'));
  await sqlOn(file, [
    `UPDATE learned_patterns SET pattern_data = randomblob(${BLOB_BYTES}) WHERE rowid = (SELECT min(rowid) FROM learned_patterns)`,
    `UPDATE memories SET content = replace(hex(zeroblob(${TEXT_CHARS})), '00', '€') WHERE rowid = (SELECT min(rowid) FROM memories)`,
  ]);
  return file;
}

/** SHA-256, length and storage class of every value of a column, by rowid (read directly, bytes as stored). */
function valuesOf(file: string, table: string, column: string): string[] {
  const db = new Database(file, { timeout: 5_000 });
  try {
    db.defaultSafeIntegers(true);
    const key = table === 'blobs' ? 'k' : 'rowid';
    const rows = db.prepare(`SELECT ${key}, typeof(${column}), CAST(${column} AS BLOB) FROM ${table} ORDER BY ${key}`).raw(true).all() as unknown[][];
    return rows.map(
      (r) =>
        `${r[0]}:${r[1]}:${(r[2] as Buffer).length}:${createHash('sha256')
          .update(r[2] as Buffer)
          .digest('hex')}`,
    );
  } finally {
    db.close();
  }
}

function fingerprint(file: string, archive = 'learned_patterns'): Record<string, string[]> {
  return { patterns: valuesOf(file, archive, 'pattern_data'), memories: valuesOf(file, 'memories', 'content') };
}

describe('large values', () => {
  it('fixture: the values are as large as meant, with a BLOB and a multi-byte TEXT', async () => {
    const file = await largeValuesDatabase();
    const [big] = valuesOf(file, 'learned_patterns', 'pattern_data');
    expect(big).toMatch(new RegExp(`^\\d+:blob:${BLOB_BYTES}:`));
    const [text] = valuesOf(file, 'memories', 'content');
    expect(text).toMatch(new RegExp(`^\\d+:text:${TEXT_CHARS * 3}:`));
  });

  it('Phase 1 renames learned_patterns into its archive (no row copied) and rollback brings every byte back', async () => {
    const file = await largeValuesDatabase();
    const before = fingerprint(file);
    const apply = await runCli(['apply', '--db', file, '--phase', 'all', '--yes', '--backup-dir', path.join(path.dirname(file), 'bk'), '--json']);
    expect(apply.code).toBe(0);
    const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
    expect(fingerprint(file, `"${String(name)}"`)).toEqual(before);
    const verify = await runCli(['verify', '--db', file, '--json']);
    expect(verify.code).toBe(0);
    expect(verify.json().checks.find((c: { name: string }) => c.name === 'learned_patterns rows kept for rollback').status).toBe('pass');
    const rollback = await runCli(['rollback', '--db', file, '--phase', 'all', '--yes', '--no-backup', '--json']);
    expect(rollback.code).toBe(0);
    expect(fingerprint(file)).toEqual(before);
  });

  it('backup --format sql writes large values in pieces (WITHOUT ROWID tables too), proves the dump, and restore brings the bytes back; stock sqlite3 loads it too', async () => {
    const file = await largeValuesDatabase();
    await sqlOn(file, ['CREATE TABLE blobs (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID', `INSERT INTO blobs VALUES ('a', randomblob(${BLOB_BYTES}))`]);
    const before = { ...fingerprint(file), blobs: valuesOf(file, 'blobs', 'v') };
    const dir = path.join(path.dirname(file), 'bk');
    const backup = await runCli(['backup', '--db', file, '--format', 'sql', '--backup-dir', dir, '--json']);
    expect(backup.code).toBe(0);
    const dump = backup.json().backup.path as string;
    const text = fs.readFileSync(dump, 'latin1');
    // No line holds a whole large value: the longest is one piece (hex) plus its INSERT.
    const longest = text.split('\n').reduce((n, line) => Math.max(n, line.length), 0);
    expect(longest).toBeLessThan(2 * LARGE_VALUE_BYTES + 200);
    expect(text).toMatch(/INSERT INTO _schema_wizard_pieces \(v, n, piece\) VALUES \(\d+, 3, X'/);

    const loaded = path.join(path.dirname(file), 'loaded.db');
    execFileSync('sqlite3', [loaded], { input: fs.readFileSync(dump) });
    expect({ ...fingerprint(loaded), blobs: valuesOf(loaded, 'blobs', 'v') }).toEqual(before);
    expect((await rowsOf(loaded, "SELECT count(*) AS n FROM sqlite_schema WHERE name = '_schema_wizard_pieces'"))[0].n).toBe(0n);

    await sqlOn(file, ['DELETE FROM learned_patterns', "UPDATE memories SET content = 'x'"]);
    await releaseFileHandles();
    const restore = await runCli(['restore', '--from', dump, '--db', file, '--yes', '--discard-newer', '--json']);
    expect(restore.code).toBe(0);
    expect({ ...fingerprint(file), blobs: valuesOf(file, 'blobs', 'v') }).toEqual(before);
  });

  it('a .db backup (page copy) restores the exact bytes', async () => {
    const file = await largeValuesDatabase();
    const before = fingerprint(file);
    const backup = await runCli(['backup', '--db', file, '--backup-dir', path.join(path.dirname(file), 'bk'), '--json']);
    expect(backup.code).toBe(0);
    const copy = backup.json().backup.path as string;
    expect(fingerprint(copy)).toEqual(before);
    await sqlOn(file, ['DELETE FROM learned_patterns']);
    await releaseFileHandles();
    const restore = await runCli(['restore', '--from', copy, '--db', file, '--yes', '--discard-newer', '--json']);
    expect(restore.code).toBe(0);
    expect(fingerprint(file)).toEqual(before);
  });
});
