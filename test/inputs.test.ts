/**
 * Hostile and tired inputs: passwords with "/", "@", ":" and "%" in URLs, names that are
 * terminal escape sequences, flags given twice, durations no timer can hold, 64 KiB pages, a
 * column named rowid. Each case runs the real CLI and checks what it printed and the file.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOrThrow, rollbackOrThrow } from './support/runs.js';
import { BIN, runCli } from './support/cli.js';
import { contentsOf, rowsOf, sqlOn, v1Database, withSession } from './support/fixtures.js';

describe('secrets never reach output', () => {
  const passwords = ['s3cr3t/T0KEN', 'p@ss:w/rd', 'pa%25ss', 'colon:pass'];
  for (const password of passwords) {
    it(`a --db URL whose password is ${JSON.stringify(password)} is printed redacted, in text and JSON`, async () => {
      for (const json of [false, true]) {
        const run = await runCli(['plan', '--db', `libsql://admin:${password}@[::1:bad`, ...(json ? ['--json'] : [])]);
        expect(run.code).not.toBe(0);
        const all = run.stdout + run.stderr;
        expect(all).not.toContain(password);
        expect(all).not.toContain(decodeURIComponent(password));
        expect(all).not.toContain('admin');
      }
    });
  }

  it('--health-url with a user, a password and a token: sent as headers, printed nowhere', async () => {
    const file = await v1Database();
    await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
    let seen: http.IncomingHttpHeaders = {};
    const server = http.createServer((req, res) => {
      seen = req.headers;
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const url = `http://ops:pw-Sup3r/secret@127.0.0.1:${port}/health?token=T0K3N-value&plain=yes`;
      const run = await runCli(['smoke', '--db', file, '--health-url', url, '--json']);
      const all = run.stdout + run.stderr;
      for (const secret of ['pw-Sup3r/secret', 'T0K3N-value']) expect(all).not.toContain(secret);
      expect(run.json().tests.find((t: any) => t.name === 'application health check').status).toBe('pass');
      expect(seen.authorization).toBe(`Basic ${Buffer.from('ops:pw-Sup3r/secret').toString('base64')}`);
      const down = await runCli(['smoke', '--db', file, '--health-url', `http://ops:pw-Sup3r/secret@127.0.0.1:1/health?token=T0K3N-value`]);
      for (const secret of ['pw-Sup3r/secret', 'T0K3N-value']) expect(down.stdout + down.stderr).not.toContain(secret);
    } finally {
      server.close();
    }
  });
});

describe('text from the database is shown, never executed', () => {
  it('a table and a lock holder named with ESC[2J and ESC]0; reach the terminal escaped', async () => {
    const file = await v1Database();
    await sqlOn(file, ['CREATE TABLE "evil\u001b[2Jtable\u001b]0;pwned\u0007" (x)']);
    for (const args of [['plan'], ['stats'], ['verify', '--info']]) {
      const run = await runCli([...args, '--db', file]);
      const all = run.stdout + run.stderr;
      expect({ args, escape: all.includes('\u001b'), bell: all.includes('\u0007') }).toEqual({ args, escape: false, bell: false });
      expect(all).toContain('evil\\x1b[2Jtable\\x1b]0;pwned\\x07');
    }
    // A lock row whose holder is named with escapes (a run on another machine).
    await sqlOn(file, [
      'CREATE TABLE IF NOT EXISTS _schema_wizard_lock (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "user" TEXT NOT NULL, command TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL)',
      `INSERT INTO _schema_wizard_lock VALUES (1, 'r1', 'far\u001b]0;host\u0007', 1, 'mal\u001b[2Jlory', 'apply', '2026-01-01T00:00:00Z', '2999-01-01T00:00:00Z')`,
    ]);
    const locked = await runCli(['apply', '--db', file, '--yes', '--no-backup']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('mal\\x1b[2Jlory@far\\x1b]0;host\\x07');
    expect(locked.stderr.includes('\u001b')).toBe(false);
  });
});

describe('small inputs', () => {
  it('a flag given twice, and a duration no timer can hold, are refused with exit 2', async () => {
    const file = await v1Database();
    const twice = await runCli(['apply', '--db', file, '--phase', '1', '--phase', '2', '--yes']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/Flag --phase was given more than once/);
    const long = await runCli(['plan', '--db', file, '--busy-timeout', `${2 ** 31}ms`]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/Duration too long/);
  });

  it('a flag the command does not take is refused naming who takes it; a typo gets a suggestion', async () => {
    const file = await v1Database();
    const bytes = fs.readFileSync(file);
    const foreign = await runCli(['plan', '--db', file, '--replace', '--thorough']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/`plan` does not take --replace \(restore does\)/);
    const wizard = await runCli(['--yes', '--db', file, '--phase', '1']);
    expect(wizard.code).toBe(2);
    expect(wizard.stderr).toMatch(/The wizard does not take --phase/);
    const typo = await runCli(['plan', '--dbb', file]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Unknown flag: --dbb \(did you mean --db\?\)/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('smoke passes on a database with 64 KiB pages', async () => {
    const file = await v1Database();
    await sqlOn(file, ['PRAGMA page_size = 65536', 'VACUUM']);
    expect((await rowsOf(file, 'PRAGMA page_size'))[0].page_size).toBe(65536n);
    await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
    const run = await runCli(['smoke', '--db', file, '--json']);
    expect(run.json().tests.filter((t: any) => t.status !== 'pass')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('a learned_patterns column named rowid: rollback keeps the real rowids', async () => {
    const file = await v1Database({ learnedPatterns: 12 });
    await sqlOn(file, [
      'ALTER TABLE learned_patterns ADD COLUMN rowid INTEGER',
      'UPDATE learned_patterns SET rowid = 7',
      'UPDATE learned_patterns SET id = id * 100',
    ]);
    const before = await rowsOf(file, 'SELECT _rowid_ AS r, * FROM learned_patterns ORDER BY _rowid_');
    const all = await contentsOf(file);
    await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
    await withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1'], backup: null }));
    expect(await rowsOf(file, 'SELECT _rowid_ AS r, * FROM learned_patterns ORDER BY _rowid_')).toEqual(before);
    expect(before.map((r) => r.r)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt((i + 1) * 100)));
    expect((await contentsOf(file)).sqlite_sequence).toEqual(all.sqlite_sequence);
    expect(fs.existsSync(file)).toBe(true);
  });
});

describe('SIGTERM and SIGHUP stop the run like Ctrl+C', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} during the backup: exit ${code}, a line saying where things stand, no lock row and no partial file left`, async () => {
      const file = await v1Database({ users: 10, memories: 4000, embeddingDims: 256 });
      const dir = path.dirname(file);
      const child = spawn(process.execPath, [BIN, 'apply', '--db', file, '--yes', '--json', '--backup-dir', path.join(dir, 'backups')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: '1' },
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      let stderr = '';
      child.stderr.on('data', (d) => {
        const before = stderr;
        stderr += d;
        if (!/Back up the database/.test(before) && /Back up the database/.test(stderr)) child.kill(signal);
      });
      const exit = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(exit, stderr).toBe(code);
      // The JSON document says the exit code the process ends with, and what never ran.
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ ok: false, exitCode: code, noBackup: false });
      expect(doc.phases.every((p: { status: string }) => p.status === 'not-executed')).toBe(true);
      expect(stderr).toMatch(new RegExp(`Interrupted by ${signal}`));
      expect(stderr).toMatch(/error: Interrupted: stopped between steps; no phase was left half-done/);
      const lock = await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name = '_schema_wizard_lock'");
      if (lock[0].n === 1n) expect((await rowsOf(file, 'SELECT count(*) AS n FROM _schema_wizard_lock'))[0].n).toBe(0n);
      const left = fs.existsSync(path.join(dir, 'backups')) ? fs.readdirSync(path.join(dir, 'backups')).filter((f) => f.includes('.partial')) : [];
      expect(left).toEqual([]);
      expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'learned_patterns'"))[0].n).toBe(1n);
    });
  }

  it('--backup-dir /dev/null is a sentence with a fix, exit 2, no "unexpected error"', async () => {
    const file = await v1Database();
    const run = await runCli(['backup', '--db', file, '--backup-dir', '/dev/null']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not one \(\/dev\/null\)/);
    expect(run.stderr).not.toMatch(/unexpected error/);
  });
});
