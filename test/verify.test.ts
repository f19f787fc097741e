/** verify, smoke and stats against real files: each promise of the guide as a check that can fail. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOrThrow } from './support/runs.js';
import { runSmoke } from '../src/core/verify/smoke.js';
import { sha256Hex } from '../src/core/sql/sha256.js';
import { runVerify } from '../src/core/verify/verify.js';
import { runCli } from './support/cli.js';
import { rowsOf, sqlOn, v1Database, withSession as withSessionOn, type TestSession } from './support/fixtures.js';
import { dbArgs, TARGETS, type TargetKind } from './support/targets.js';

describe.each(TARGETS)('on %s', (kind: TargetKind) => {
  const withSession = <T>(file: string, fn: (s: TestSession) => Promise<T>) => withSessionOn(file, fn, kind);
  const verify = (file: string, phases: ('phase1' | 'phase2')[] = ['phase1', 'phase2']) => withSession(file, (s) => runVerify(s, { phases, thorough: false }));
  const migrate = (file: string, keys?: 'hash' | 'keep') => withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null, keys }));
  const db = (file: string) => dbArgs(file, kind);

  describe('verify', () => {
    it('a v1 database fails with exit 3: Phase 1 and 2 checks pending', async () => {
      const file = await v1Database();
      const run = await runCli(['verify', ...(await db(file)), '--json']);
      expect(run.code).toBe(3);
      const doc = run.json();
      expect(doc.ok).toBe(false);
      expect(
        doc.checks
          .filter((c: any) => c.phase === 'phase1' || c.phase === 'phase2')
          .every((c: any) => c.status === 'pending' || c.name === 'API keys stored as SHA-256'),
      ).toBe(true);
      expect(doc.checks.find((c: any) => c.name === 'quick_check').status).toBe('pass');
    });

    it('a migrated database passes every check', async () => {
      const file = await v1Database({ plaintextKeys: 0 });
      await migrate(file);
      const report = await verify(file);
      expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.checks.length).toBeGreaterThanOrEqual(17 + 2 + 4 + 7);
      const run = await runCli(['verify', ...(await db(file))]);
      expect(run.code).toBe(0);
    });

    it('verify --phase 1 passes after Phase 1 alone; plain verify still exits 3', async () => {
      const file = await v1Database({ plaintextKeys: 0 });
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      expect((await verify(file, ['phase1'])).ok).toBe(true);
      expect((await runCli(['verify', ...(await db(file)), '--phase', '1'])).code).toBe(0);
      expect((await runCli(['verify', ...(await db(file))])).code).toBe(3);
    });

    it('a deliberately dropped composite index makes a query-plan check fail', async () => {
      const file = await v1Database({ plaintextKeys: 0 });
      await migrate(file);
      await sqlOn(file, ['DROP INDEX idx_interactions_user_date']);
      const report = await verify(file);
      const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
      expect(failed).toContain('query plan: interactions counted per user');
      expect(failed).toContain('idx_interactions_user_date present');
      expect(report.ok).toBe(false);
    });

    it('verify and smoke between the phases do not block Phase 2 in the same session (EXPLAIN lock trap)', async () => {
      const file = await v1Database({ plaintextKeys: 0 });
      await withSession(file, async (s) => {
        await applyOrThrow(s, { phases: ['phase1'], backup: null });
        await runVerify(s, { phases: ['phase1'], thorough: false });
        await runSmoke(s);
        const result = await applyOrThrow(s, { phases: ['phase2'], backup: null });
        expect(result.phases[0].status).toBe('success');
      });
    });

    it('a lost row fails data preservation', async () => {
      const file = await v1Database({ plaintextKeys: 0 });
      await migrate(file);
      await sqlOn(file, ['DELETE FROM interactions WHERE id = 1']);
      const report = await verify(file);
      expect(report.checks.find((c) => c.name === 'rows and content kept (Phase 1)')).toMatchObject({ status: 'fail' });
      expect(report.checks.find((c) => c.name === 'rows and content kept (Phase 1)')!.detail).toMatch(/interactions: 30 -> 29/);
    });

    it.each([
      [
        'no entities_fts',
        ['DROP TRIGGER entities_fts_insert', 'DROP TRIGGER entities_fts_delete', 'DROP TRIGGER entities_fts_update', 'DROP TABLE entities_fts'],
      ],
      ['extra objects', ['CREATE TABLE extra_t (x)', 'CREATE INDEX idx_extra ON memories(title)', 'CREATE VIEW extra_v AS SELECT 1']],
      ['column already renamed', ['DROP INDEX idx_users_api_key', 'ALTER TABLE users RENAME COLUMN api_key TO api_key_hash']],
      ['learned_patterns already dropped', ['DROP TABLE learned_patterns']],
    ])('drift "%s" verifies with warnings, not failures', async (_name, setup) => {
      const file = await v1Database({ plaintextKeys: 0 });
      await sqlOn(file, setup);
      await migrate(file);
      const report = await verify(file);
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
      expect(report.ok).toBe(true);
    });
  });

  describe('smoke', () => {
    it('passes the five tests on a migrated database and leaves it byte-identical', async () => {
      const file = await v1Database();
      await migrate(file);
      const dumpBefore = execFileSync('sqlite3', [file, '.dump']).toString();
      const bytesBefore = fs.readFileSync(file);
      const report = await withSession(file, (s) => runSmoke(s));
      expect(report.tests.map((t) => [t.name, t.status])).toEqual([
        ['user authentication', 'pass'],
        ['memory creation and retrieval', 'pass'],
        ['entity management', 'pass'],
        ['vector search', 'pass'],
        ['API usage tracking', 'pass'],
      ]);
      expect(execFileSync('sqlite3', [file, '.dump']).toString()).toBe(dumpBefore);
      expect(fs.readFileSync(file).equals(bytesBefore)).toBe(true);
    });

    it('fails authentication before Phase 2 (no api_key_hash) with exit 3', async () => {
      const file = await v1Database();
      const run = await runCli(['smoke', ...(await db(file)), '--json']);
      expect(run.code).toBe(3);
      expect(run.json().tests[0]).toMatchObject({ name: 'user authentication', status: 'fail' });
    });

    it('calls the health check with the key from the environment and never prints it', async () => {
      const file = await v1Database();
      await migrate(file);
      const http = await import('node:http');
      let seenKey = '';
      const server = http.createServer((req, res) => {
        seenKey = String(req.headers['x-api-key'] ?? '');
        res.writeHead(seenKey === 'key_SECRET_value_123' ? 200 : 401).end('ok');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        const run = await runCli(['smoke', ...(await db(file)), '--json', '--health-url', `http://127.0.0.1:${port}/health`, '--api-key-env', 'APP_KEY'], {
          env: { APP_KEY: 'key_SECRET_value_123' },
        });
        expect(run.code).toBe(0);
        expect(seenKey).toBe('key_SECRET_value_123');
        expect(run.json().tests.at(-1)).toMatchObject({ name: 'application health check', status: 'pass' });
        expect(run.stdout + run.stderr).not.toContain('key_SECRET_value_123');
      } finally {
        server.close();
      }
    });
  });

  describe('plaintext API keys', () => {
    it('are counted by plan, verify and smoke, and never printed', async () => {
      const file = await v1Database({ plaintextKeys: 2 });
      const plain = (await rowsOf(file, "SELECT api_key FROM users WHERE api_key LIKE 'mcp_plain_key_%'")).map((r) => String(r.api_key));
      expect(plain).toHaveLength(2);
      const plan = await runCli(['plan', ...(await db(file)), '--json']);
      expect(plan.json().plaintextKeys).toEqual({ column: 'api_key', count: 2, hashable: 2, empty: 0, blob: 0, nul: 0, other: 0, upperHex: 0 });
      await migrate(file, 'keep');
      const outputs = [
        plan,
        await runCli(['verify', ...(await db(file)), '--json']),
        await runCli(['smoke', ...(await db(file)), '--json']),
        await runCli(['plan', ...(await db(file))]),
      ];
      expect(outputs[1].json().checks.find((c: any) => c.name === 'API keys stored as SHA-256')).toMatchObject({ status: 'warn' });
      for (const run of outputs) for (const key of plain) expect(run.stdout + run.stderr).not.toContain(key);
    });

    it('apply --hash-plaintext-keys on a database whose Phase 2 is already applied refuses, changing nothing', async () => {
      const file = await v1Database({ plaintextKeys: 2 });
      await migrate(file, 'keep');
      const before = await rowsOf(file, 'SELECT api_key_hash FROM users ORDER BY rowid');
      const run = await runCli(['apply', ...(await db(file)), '--yes', '--hash-plaintext-keys', '--no-backup']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/hashes keys only as part of applying Phase 2/);
      expect(await rowsOf(file, 'SELECT api_key_hash FROM users ORDER BY rowid')).toEqual(before);
    });

    it('apply --hash-plaintext-keys hashes them in Phase 2 so those users authenticate', async () => {
      const file = await v1Database({ plaintextKeys: 2 });
      const plain = (await rowsOf(file, "SELECT id, api_key FROM users WHERE api_key LIKE 'mcp_plain_key_%'")).map((r) => [String(r.id), String(r.api_key)]);
      const dir = path.dirname(file);
      const run = await runCli(['apply', ...(await db(file)), '--yes', '--hash-plaintext-keys', '--json'], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.json().report.warnings.join()).toMatch(/2 plaintext API keys were replaced.*cannot be undone by rollback/);
      for (const [id, key] of plain) {
        expect(await rowsOf(file, `SELECT id FROM users WHERE api_key_hash = '${sha256Hex(key)}'`)).toEqual([{ id }]);
      }
      const report = await verify(file);
      expect(report.checks.find((c) => c.name === 'API keys stored as SHA-256')!.status).toBe('pass');
      // The hashed keys are the migration's own change: never blamed on the application.
      expect(report.checks.find((c) => c.name === 'rows and content kept (Phase 2)')).toMatchObject({
        status: 'pass',
        detail: expect.stringMatching(/users' rows counted, its content not compared \(Phase 2 hashed its plaintext keys\)/),
      });
      expect(run.stdout + run.stderr).not.toContain(plain[0][1]);
    });
  });

  describe('stats', () => {
    it('shows the measured before/after table once the journal holds a before-snapshot', async () => {
      const file = await v1Database();
      expect((await runCli(['stats', ...(await db(file)), '--json'])).json().impact).toBeNull();
      await migrate(file);
      const doc = (await runCli(['stats', ...(await db(file)), '--json'])).json();
      expect(doc.impact.rows.find((r: any) => r.metric === 'Indexes')).toMatchObject({ before: 23, after: 13, change: -10 });
      expect(doc.impact.rows.find((r: any) => r.metric === 'Tables')).toMatchObject({ before: 9, after: 8 });
      expect(doc.counts).toMatchObject({ tables: 8, indexes: 13, triggers: 6, ftsShadowTables: 8 });
      expect(doc.indexes.every((i: any) => typeof i.bytes === 'number')).toBe(true);
    });
  });
});
