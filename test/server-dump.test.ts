/**
 * A remote backup reads the server's own dump (GET /dump, one request), as sqld serves it: the
 * loopback server reproduces its format. The dump is checked against the server before it
 * counts; where the endpoint is absent, the dump is truncated or cut, or it does not match, the
 * backup reads page by page instead and says why. Either way the backup restores exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { realLiteral } from '../src/core/sql/real-literal.js';
import { dumpUrl } from '../src/core/backup/server-dump.js';
import { resolveTarget } from '../src/core/db/target.js';
import { runCli } from './support/cli.js';
import { contentsOf, rowsOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';
import type { DumpMode } from './support/hrana/start.js';
import { startHranaServer } from './support/hrana/start.js';
import { serverFor } from './support/targets.js';

/** REALs SQLite's own decimal parsing gets one bit wrong, and values the dump's quoting must carry. */
const TRICKY = [
  "INSERT INTO learned_patterns (user_id, pattern_type, pattern_data, confidence, created_at, updated_at) VALUES ('user-0001', 'x', 'line one\nline two\r\nit''s', 0.002877, 'c', 'u')",
  "INSERT INTO learned_patterns (user_id, pattern_type, pattern_data, confidence, created_at, updated_at) VALUES ('user-0001', 'y', '\\n and \\012 already', 1e-300, 'c', 'u')",
  "INSERT INTO learned_patterns (user_id, pattern_type, pattern_data, confidence, created_at, updated_at) VALUES ('user-0002', 'z', 'big', 1.7976931348623157e308, 'c', 'u')",
  'UPDATE memories SET importance = 0.1 + 0.2 WHERE rowid = (SELECT min(rowid) FROM memories)',
  // Each reads back one bit off through SQLite's own parser from its shortest digits (measured on
  // libSQL 3.45.1), so they are stored through their exact form.
  ...[20611294.12666074, 4.188172437981643e-7, 301634.8026839995].map(
    (v, i) => `UPDATE memories SET importance = ${realLiteral(v)} WHERE rowid = (SELECT rowid FROM memories ORDER BY rowid LIMIT 1 OFFSET ${3 + i})`,
  ),
];

async function backupOf(file: string, mode: DumpMode, extra: string[] = []) {
  const server = await serverFor(file);
  await server.dumpMode(mode);
  await server.resetStats();
  const dir = tempDir('sw-sdump-');
  const run = await runCli(['backup', '--db', server.url, '--auth-token', server.token, '--backup-dir', dir, '--json', ...extra]);
  const stats = await server.stats();
  await server.dumpMode({ mode: 'served' });
  // A failed run has no document: the JSON parse then throws, and the test shows run.stderr first.
  return { run, stats, dir, json: run.code === 0 ? run.json() : ({} as any) };
}

/** The backup restored into a new file holds the source's rows exactly (REAL bits, text bytes). */
async function expectExactRestore(file: string, backup: string) {
  const copy = path.join(tempDir('sw-sdump-r-'), 'restored.db');
  const restored = await runCli(['restore', '--from', backup, '--db', copy, '--yes', '--replace']);
  expect(restored.code, restored.stderr).toBe(0);
  expect(await contentsOf(copy)).toEqual(await contentsOf(file));
}

describe("remote backups through the server's dump", () => {
  it('one GET /dump, checked in one more request, REALs and text exact, the path said', async () => {
    const file = await v1Database();
    await sqlOn(file, TRICKY);
    const { run, stats, dir, json } = await backupOf(file, { mode: 'served' });
    expect(run.code, run.stderr).toBe(0);
    expect(json.backup.read).toBe('server-dump');
    expect(stats.dumps).toBe(1);
    // connect + inspect + the aggregates: never a page of rows
    expect(stats.pipelines).toBeLessThanOrEqual(6);
    const manifest = JSON.parse(fs.readFileSync(`${json.backup.path}.json`, 'utf8'));
    expect(manifest.read).toMatchObject({ via: 'server-dump' });
    expect(run.stderr).toMatch(/of the server's dump/);
    expect(fs.readdirSync(dir).sort()).toEqual([
      path.basename(json.backup.path),
      `${path.basename(json.backup.path)}.json`,
      `${path.basename(json.backup.path)}.sha256`,
    ]);
    await expectExactRestore(file, json.backup.path);
  });

  it('a libsql:// URL (the form Turso gives) reaches the dump over HTTPS, or HTTP with ?tls=0', async () => {
    expect(dumpUrl(resolveTarget({ db: 'libsql://memory-acme.turso.io', authToken: 't' }))).toBe('https://memory-acme.turso.io/dump?preserve_row_ids=true');
    expect(dumpUrl(resolveTarget({ db: 'wss://memory-acme.turso.io', authToken: 't' }))).toBe('https://memory-acme.turso.io/dump?preserve_row_ids=true');
    const file = await v1Database();
    const server = await serverFor(file);
    await server.resetStats();
    const run = await runCli([
      'backup',
      '--db',
      `libsql://127.0.0.1:${server.port}?tls=0`,
      '--auth-token',
      server.token,
      '--backup-dir',
      tempDir('sw-sdump-'),
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().backup.read).toBe('server-dump');
    expect((await server.stats()).dumps).toBe(1);
  });

  it.each<[string, DumpMode, RegExp]>([
    ['absent (404)', { mode: 'absent' }, /the server has no \/dump endpoint \(HTTP 404\)/],
    ['truncated', { mode: 'truncated', afterBytes: 20_000 }, /the dump ended before its COMMIT \(truncated after 20000 bytes\)/],
    ['cut mid-stream', { mode: 'cut', afterBytes: 20_000 }, /the dump stopped part way/],
    ['altered', { mode: 'altered', find: "'User 1'", replace: "'User 1 (edited)'" }, /the dump does not match the database \(users: values differ\)/],
    [
      'carrying a statement no dump writes',
      { mode: 'altered', find: 'BEGIN TRANSACTION;', replace: "BEGIN TRANSACTION;\nATTACH 'x.db' AS x;" },
      /a statement a dump never writes \(ATTACH/,
    ],
  ])('a dump %s is never used: the backup reads page by page, says why, and restores exactly', async (_name, mode, why) => {
    const file = await v1Database();
    await sqlOn(file, TRICKY);
    const { run, stats, dir, json } = await backupOf(file, mode);
    expect(run.code, run.stderr).toBe(0);
    expect(json.backup.read).toBe('paged-reads');
    expect(run.stderr).toMatch(why);
    expect(JSON.parse(fs.readFileSync(`${json.backup.path}.json`, 'utf8')).read.why).toMatch(why);
    expect(stats.pipelines).toBeGreaterThan(6);
    // Nothing of the unused dump is left beside the backup.
    expect(fs.readdirSync(dir)).toHaveLength(3);
    await expectExactRestore(file, json.backup.path);
  });

  it('an integral REAL in an untyped column (the dump writes 1.0 as 1) is caught and read page by page', async () => {
    const file = await v1Database();
    await sqlOn(file, ['CREATE TABLE app_settings (k TEXT PRIMARY KEY, v)', "INSERT INTO app_settings VALUES ('ratio', 1.0), ('n', 1)"]);
    const { run, json } = await backupOf(file, { mode: 'served' });
    expect(run.code, run.stderr).toBe(0);
    expect(json.backup.read).toBe('paged-reads');
    expect(run.stderr).toMatch(/does not match the database \(app_settings: values differ\)/);
    await expectExactRestore(file, json.backup.path);
  });

  it('a same-length edit passes the aggregates; --thorough hashes every row and catches it', async () => {
    const file = await v1Database();
    const edit: DumpMode = { mode: 'altered', find: 'user-0001@example.com', replace: 'user-0001@example.org' };
    const quick = await backupOf(file, edit);
    expect(quick.json.backup.read).toBe('server-dump');
    const thorough = await backupOf(file, edit, ['--thorough']);
    expect(thorough.run.code, thorough.run.stderr).toBe(0);
    expect(thorough.json.backup.read).toBe('paged-reads');
    expect(thorough.run.stderr).toMatch(/the dump's rows differ from the database's \(users\)/);
    await expectExactRestore(file, thorough.json.backup.path);
  });
});

describe('round trips, whatever the size (a 50 ms delay on every request)', () => {
  it.each([
    ['the demo size', {}],
    ['ten times the memories', { memories: 4000, users: 40 }],
  ])(
    '%s: plan in at most 3 requests; apply --phase all --yes with its backup in 1 GET /dump and at most 15 more; verify in at most 10',
    async (_name, size) => {
      const file = await v1Database({ ...size, plaintextKeys: 0 });
      const server = await startHranaServer({ dbPath: file, delayMs: 50 });
      try {
        const db = ['--db', server.url, '--auth-token', server.token];
        await server.resetStats();
        expect((await runCli(['plan', ...db])).code).toBe(0);
        expect((await server.stats()).pipelines).toBeLessThanOrEqual(3);
        await server.resetStats();
        const apply = await runCli(['apply', ...db, '--phase', 'all', '--yes', '--backup-dir', tempDir('sw-rt-'), '--json']);
        expect(apply.code, apply.stderr).toBe(0);
        expect(apply.json().backup.read).toBe('server-dump');
        const stats = await server.stats();
        expect(stats.dumps).toBe(1);
        expect(stats.pipelines).toBeLessThanOrEqual(15);
        expect(apply.json().requests).toBe(stats.pipelines);
        await server.resetStats();
        const verify = await runCli(['verify', ...db, '--json']);
        expect(verify.code, verify.stderr).toBe(0);
        expect(verify.json().ok).toBe(true);
        expect((await server.stats()).pipelines).toBeLessThanOrEqual(10);
        expect(verify.json().requests).toBe((await server.stats()).pipelines);
      } finally {
        await server.stop();
      }
    },
  );
});

describe("remote verify compares the server's aggregates, and --thorough every row", () => {
  const dataChecks = (json: any) => Object.fromEntries(json.checks.filter((c: any) => /rows (and content )?kept/.test(c.name)).map((c: any) => [c.name, c]));

  it('a lost row fails, a longer text warns, a changed number in the archive fails; a same-length edit needs --thorough', async () => {
    const file = await v1Database({ plaintextKeys: 0 });
    // A table of the application's own with 300 columns: its aggregates are 1,801 terms (one
    // expression of them all would pass SQLite's depth limit of 1000).
    const columns = Array.from({ length: 300 }, (_, i) => `c${i}`);
    await sqlOn(file, [`CREATE TABLE app_wide (${columns.join(', ')})`, `INSERT INTO app_wide VALUES (${columns.map((_, i) => i).join(', ')})`]);
    const server = await serverFor(file);
    const db = ['--db', server.url, '--auth-token', server.token];
    const apply = await runCli(['apply', ...db, '--phase', 'all', '--yes', '--backup-dir', tempDir('sw-vagg-'), '--json']);
    expect(apply.code, apply.stderr).toBe(0);
    const verify = async (extra: string[] = []) => (await runCli(['verify', ...db, '--json', ...extra])).json();

    let checks = dataChecks(await verify());
    expect(checks['rows and content kept (Phase 1)']).toMatchObject({ status: 'pass', detail: expect.stringMatching(/aggregates .* equal/) });
    expect(checks['learned_patterns rows kept for rollback']).toMatchObject({ status: 'pass', detail: expect.stringMatching(/aggregates equal/) });

    // Same length, same type: the aggregates cannot see it; every row's hash can.
    await sqlOn(file, ["UPDATE users SET email = 'user-0001@example.org' WHERE email = 'user-0001@example.com'"]);
    expect(dataChecks(await verify())['rows and content kept (Phase 2)'].status).toBe('pass');
    checks = dataChecks(await verify(['--thorough']));
    expect(checks['rows and content kept (Phase 2)']).toMatchObject({ status: 'warn', detail: expect.stringMatching(/content changed .*users/) });

    await sqlOn(file, ["UPDATE memories SET title = title || ' (edited)' WHERE rowid = (SELECT min(rowid) FROM memories)"]);
    checks = dataChecks(await verify());
    expect(checks['rows and content kept (Phase 1)']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/content changed .*memories: (\d+) -> \1 rows/),
    });

    const [{ name: archive }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '%archive%learned_patterns'");
    await sqlOn(file, ['UPDATE app_wide SET c299 = c299 + 1']);
    checks = dataChecks(await verify());
    expect(checks['rows and content kept (Phase 1)']).toMatchObject({ status: 'warn', detail: expect.stringMatching(/app_wide: 1 -> 1 rows/) });

    await sqlOn(file, [
      'DELETE FROM interactions WHERE rowid = (SELECT min(rowid) FROM interactions)',
      `UPDATE "${archive}" SET confidence = confidence + 1 WHERE rowid = (SELECT min(rowid) FROM "${archive}")`,
    ]);
    const failed = await runCli(['verify', ...db, '--json']);
    expect(failed.code).not.toBe(0);
    checks = dataChecks(failed.json());
    expect(checks['rows and content kept (Phase 1)']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/interactions: \d+ -> \d+/) });
    expect(checks['learned_patterns rows kept for rollback']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/values differ/) });
  });
});
