/**
 * The remote (Turso) path over the real protocol: the loopback Hrana server. Failures an
 * operator meets remotely, request counts, and the server vanishing mid-phase.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { BIN, runCli } from './support/cli.js';
import { contentsOf, rowsOf, tempDir, v1Database, withSession } from './support/fixtures.js';
import { startHranaServer } from './support/hrana/start.js';
import { serverFor, TRANSPORTS, urlOf } from './support/targets.js';

describe.each(TRANSPORTS)('connecting (%s)', (transport) => {
  it('a wrong token says authentication failed, exit 2, and never prints either token', async () => {
    const file = await v1Database();
    const server = await serverFor(file);
    const wrong = 'wrong_token_0123456789';
    const run = await runCli(['stats', '--db', urlOf(server, transport), '--auth-token', wrong]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`Authentication failed for ${transport}://127\\.0\\.0\\.1:\\d+: the server refused the auth token`));
    expect(run.stderr).toMatch(/fix: Check --auth-token or TURSO_AUTH_TOKEN/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(run.stdout + run.stderr).not.toContain(server.token);
  });

  it('an unreachable host fails fast with a clear message', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const run = await runCli(['stats', '--db', `${transport}://127.0.0.1:${port}`, '--auth-token', 'x'.repeat(20)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`Cannot reach ${transport}://127\\.0\\.0\\.1:\\d+: connection refused`));
  });

  it('a host that never answers times out within --connect-timeout', async () => {
    const silent = net.createServer(() => undefined); // accepts, then says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const run = await runCli(['stats', '--db', `${transport}://127.0.0.1:${port}`, '--auth-token', 'x'.repeat(20), '--connect-timeout', '1s']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no answer before the timeout/);
      // The wait was named, with its bound, before it began.
      expect(run.stderr).toContain(`Connecting to ${transport}://127.0.0.1:${port} (gives up in 1 s)…`);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  });

  it('accepts libsql:// URLs (tls=0 on loopback) and TURSO_URL / TURSO_AUTH_TOKEN', async () => {
    const file = await v1Database();
    const server = await serverFor(file);
    const url = `libsql://127.0.0.1:${server.port}?tls=0`;
    const run = await runCli(['stats', '--json'], { env: { TURSO_URL: url, TURSO_AUTH_TOKEN: server.token } });
    expect(run.code).toBe(0);
    expect(run.json().counts).toMatchObject({ tables: 9, indexes: 23 });
  });

  it('refuses a .db backup of a remote database (the server refuses VACUUM) and suggests sql', async () => {
    const file = await v1Database();
    const server = await serverFor(file);
    const run = await runCli(['backup', '--db', urlOf(server, transport), '--auth-token', server.token, '--format', 'db', '--backup-dir', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot be copied as a \.db file.*VACUUM/);
    expect(run.stderr).toMatch(/--format sql/);
  });

  it('restore refuses a non-empty remote database without --replace, untouched', async () => {
    const file = await v1Database();
    const cwd = path.dirname(file);
    const server = await serverFor(file);
    const backup = await runCli(['backup', '--db', urlOf(server, transport), '--auth-token', server.token, '--json'], { cwd });
    expect(backup.code).toBe(0);
    const before = await contentsOf(file);
    const run = await runCli(['restore', '--from', backup.json().backup.path, '--db', urlOf(server, transport), '--auth-token', server.token, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not empty .* --replace/s);
    expect(await contentsOf(file)).toEqual(before);
  });
});

describe.each(TRANSPORTS)('round trips and refused statements (%s)', (transport) => {
  it('Phase 1 is one write request; the whole command a handful; counts agree with the server', async () => {
    const file = await v1Database();
    const server = await serverFor(file);
    await server.resetStats();
    const run = await runCli(['apply', '--db', urlOf(server, transport), '--auth-token', server.token, '--phase', '1', '--yes', '--no-backup', '--json']);
    expect(run.code).toBe(0);
    const stats = await server.stats();
    const doc = run.json();
    // Over WebSocket the client pipelines several messages per round trip: only HTTP counts them one to one.
    if (transport === 'http') expect(doc.requests).toBe(stats.pipelines);
    else expect(stats.wsRequests).toBeGreaterThan(0);
    // The phase itself is one request; around it: inspect 2, lock 1, the content digest (pages
    // of every table), a fresh snapshot 2, the row check 2, lock renew and release.
    expect(doc.report.phases[0].requests).toBe(1);
    expect(doc.requests).toBeLessThanOrEqual(25);
    console.log(`remote apply --phase 1 --no-backup (${transport}): ${doc.requests} requests, ${stats.statements} statements`);
    expect(doc.report.phases[0]).toMatchObject({ phase: 'phase1', status: 'success', executed: 18 });
  });

  it('plan, apply, verify, smoke, stats, backup, restore and rollback never send what a server refuses', async () => {
    const file = await v1Database();
    const cwd = path.dirname(file);
    const server = await serverFor(file);
    await server.resetStats();
    const db = ['--db', urlOf(server, transport), '--auth-token', server.token];
    for (const args of [['plan'], ['apply', '--yes'], ['verify'], ['smoke'], ['stats'], ['verify', '--info'], ['rollback', '--yes']]) {
      const run = await runCli([...args, ...db], { cwd });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
    const backup = (await runCli(['backup', ...db, '--json'], { cwd })).json().backup.path;
    expect((await runCli(['restore', '--from', backup, ...db, '--replace', '--yes'], { cwd })).code).toBe(0);
    expect((await server.stats()).refused).toEqual([]);
  });
});

describe.each(TRANSPORTS)('the server going away mid-phase (%s)', (transport) => {
  it('leaves each phase wholly applied or not at all, and a re-run finishes it', { timeout: 240_000 }, async () => {
    const template = await v1Database({ users: 20, memories: 2000, interactions: 30000, usage: 60000, embeddingDims: 8 });
    const expectedData = await contentsOf(template);
    const outcomes: string[] = [];
    // Kill the server a few ms after the CLI announces the phase's write: before, during and
    // after the server runs the batch.
    const points: [phase: string, delay: number][] = [
      ['Phase 1', 0],
      ['Phase 1', 20],
      ['Phase 1', 50],
      ['Phase 1', 150],
      ['Phase 2', 5],
    ];
    for (const [phase, delay] of points) {
      const file = path.join(tempDir(), 'memory.db');
      fs.copyFileSync(template, file);
      const server = await startHranaServer({ dbPath: file });
      const child = spawn(process.execPath, [BIN, 'apply', '--db', urlOf(server, transport), '--auth-token', server.token, '--yes', '--no-backup'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, CI: '1' },
      });
      const exited = new Promise<number | null>((r) => child.on('close', r));
      let stderr = '';
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          stderr += chunk;
          if (stderr.includes(`applying ${phase}:`)) {
            child.stderr!.off('data', onData);
            setTimeout(() => {
              server.kill();
              resolve();
            }, delay);
          }
        };
        child.stderr!.on('data', onData);
        child.on('close', () => resolve());
      });
      server.kill();
      const code = await exited;
      // The file, opened directly: integrity, and each phase wholly before or after.
      const state = await withSession(file, async (s) => {
        const snap = await takeSnapshot(s.db);
        const integrity = await s.db.query('PRAGMA integrity_check');
        return { p1: phaseProgress(snap, PHASE_1), p2: phaseProgress(snap, PHASE_2), ok: String(Object.values(integrity[0])[0]) };
      });
      expect(state.ok).toBe('ok');
      expect(state.p1.done === 0 || state.p1.done === state.p1.total, `phase 1 half-applied: ${state.p1.done}/${state.p1.total}`).toBe(true);
      expect(state.p2.done === 0 || state.p2.done === state.p2.total, `phase 2 half-applied: ${state.p2.done}/${state.p2.total}`).toBe(true);
      outcomes.push(`${phase} +${delay} ms: exit ${code}, phase1 ${state.p1.done}/${state.p1.total}, phase2 ${state.p2.done}/${state.p2.total}`);
      // A re-run against a fresh server converges (taking over the dead run's lock), with every row.
      const again = await startHranaServer({ dbPath: file });
      try {
        const rerun = await runCli(['apply', '--db', urlOf(again, transport), '--auth-token', again.token, '--yes', '--no-backup']);
        expect(rerun.code, rerun.stderr).toBe(0);
      } finally {
        await again.stop();
      }
      const after = await contentsOf(file);
      for (const table of ['memories', 'entities', 'interactions', 'api_usage_tracking']) expect(after[table]).toEqual(expectedData[table]);
      const archived = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '_schema_wizard_archive_%'");
      expect(archived).toHaveLength(1);
      expect((await rowsOf(file, `SELECT count(*) AS n FROM "${String(archived[0].name)}"`))[0].n).toBe(BigInt(expectedData.learned_patterns.length));
    }
    console.log(`server killed during apply:\n  ${outcomes.join('\n  ')}`);
  });
});
