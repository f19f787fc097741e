/** The CLI end to end: spawn the real binary, check exit codes, JSON, and the database afterwards. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runCli as run } from './support/cli.js';
import { connectionFor, TARGETS } from './support/targets.js';
import { contentsOf, rowsOf, schemaOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';

describe('usage errors exit 2 with one line naming the fix', () => {
  it.each([
    [['frobnicate'], /Unknown command: frobnicate/],
    [['plan', '--nope'], /Unknown flag: --nope/],
    [['plan', '--phase', '3', '--db', 'x.db'], /Unknown phase: 3/],
    [['plan', '--db', 'ftp://example.com/db'], /Unsupported URL scheme "ftp:"/],
    [['plan'], /No database given/],
  ])('%j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/fix: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing path is an error and no empty database is created', async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'nope.db');
    const run = await runCli(['stats', '--db', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Database file not found/);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('a SQLite database that is not MCP Memory is refused untouched', async () => {
    const file = path.join(tempDir(), 'other.db');
    await sqlOn(file, ['CREATE TABLE things (id INTEGER PRIMARY KEY)']);
    const bytes = fs.readFileSync(file);
    const run = await runCli(['apply', '--db', file, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not an MCP Memory database/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('writes without --yes outside a terminal exit 2 naming --yes, untouched', async () => {
    const file = await v1Database();
    const bytes = fs.readFileSync(file);
    const run = await runCli(['apply', '--db', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--yes/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });
});

describe('a full headless run', () => {
  it('--help lists every command and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const c of ['plan', 'apply', 'rollback', 'verify', 'stats', 'smoke', 'backup', 'restore', 'unlock']) expect(run.stdout).toContain(`  ${c} `);
  });

  it('--help and the README name every flag the parser knows, and the help says which commands take each', async () => {
    const { COMMAND_FLAGS, COMMON, FLAGS } = await import('../src/cli/flags.js');
    const run = await runCli(['--help']);
    const readme = fs.readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const flag of Object.keys(FLAGS) as (keyof typeof FLAGS)[]) {
      const line = run.stdout.split('\n').findIndex((l) => l.startsWith(`  --${flag}`));
      expect(line, `--${flag} in --help`).toBeGreaterThan(0);
      expect(readme, `--${flag} in README.md`).toContain(`--${flag}`);
      if ((COMMON as readonly string[]).includes(flag)) continue;
      // The takers close the flag's entry, which may wrap onto the next lines.
      const entry = run.stdout
        .split('\n')
        .slice(line, line + 3)
        .join(' ');
      const takers = (Object.keys(COMMAND_FLAGS) as (keyof typeof COMMAND_FLAGS)[]).filter((c) => COMMAND_FLAGS[c].includes(flag));
      expect(entry.replace(/\s+/g, ' '), `--${flag} takers`).toContain(`[${takers.join(', ')}]`);
    }
  });
});

describe.each(TARGETS)("the guide's flow, headless (%s)", (kind) => {
  it('plan, apply, stats and rollback by phase, as the guide runs them', async () => {
    const file = await v1Database();
    const conn = await connectionFor(file, kind);
    // The guide's way: TURSO_URL and TURSO_AUTH_TOKEN in the environment, no --db.
    const env = { TURSO_URL: conn.db, TURSO_AUTH_TOKEN: conn.authToken ?? '' };
    const runCli = (args: string[], options: { cwd?: string } = {}) =>
      run(
        args.filter((a, i) => a !== '--db' && args[i - 1] !== '--db'),
        { ...options, env },
      );
    const cwd = path.dirname(file);
    const v1Schema = await schemaOf(file);
    const v1Rows = await contentsOf(file);

    const plan = await runCli(['plan', '--db', file, '--json'], { cwd });
    expect(plan.code).toBe(0);
    // Locally the archive rename is wrapped in legacy_alter_table ON/OFF (a server refuses the pragma).
    const phase1 = kind === 'file' ? 19 : 17;
    expect(plan.json().plan.phases.map((p: any) => p.statements.length)).toEqual([phase1, 3]);
    expect(await schemaOf(file)).toEqual(v1Schema);

    const stats1 = (await runCli(['stats', '--db', file, '--json'], { cwd })).json();
    expect(stats1.counts).toMatchObject({ tables: 9, indexes: 23, triggers: 6 });

    const apply = await runCli(['apply', '--db', file, '--phase', 'Phase 1', '--yes', '--json'], { cwd });
    expect(apply.code).toBe(0);
    const doc = apply.json();
    expect(doc.ok).toBe(true);
    // the plan + the row guard
    const { lockMs, ...phase } = doc.phases[0];
    expect(doc.phases).toHaveLength(1);
    expect(phase).toEqual({
      phase: 'phase1',
      action: 'apply',
      status: 'success',
      statements: phase1 + 1,
      journalId: 1,
      detail: `Phase 1 applied (${phase1 + 1} statements).`,
    });
    // The write lock's window, BEGIN to COMMIT (remotely the write's one request), said in the report too.
    expect(lockMs).toBeGreaterThan(0);
    expect(doc.report.phases[0].lockMs).toBe(lockMs);
    expect(apply.stdout + apply.stderr).not.toContain('NaN');
    expect(fs.existsSync(doc.backup.path)).toBe(true);
    expect(doc.backup.format).toBe(kind === 'file' ? 'db' : 'sql');
    expect(path.dirname(doc.backup.path)).toBe(path.join(cwd, 'backups'));
    expect(apply.stderr).toContain(`[${phase1 + 1}/${phase1 + 1}]`);

    const stats2 = (await runCli(['stats', '--db', file, '--json'], { cwd })).json();
    expect(stats2.counts).toMatchObject({ tables: 8, indexes: 13 });

    const apply2 = await runCli(['apply', '--db', file, '--phase', '2', '--yes', '--no-backup', '--json'], { cwd });
    expect(apply2.code).toBe(0);
    expect(apply2.json().noBackup).toBe(true);
    expect(apply2.stderr).toMatch(/NO BACKUP/);
    expect((await rowsOf(file, "SELECT count(*) AS n FROM pragma_table_info('users') WHERE name = 'api_key_hash'"))[0].n).toBe(1n);

    const rb2 = await runCli(['rollback', '--db', file, '--phase=Phase 2', '--yes', '--no-backup'], { cwd });
    expect(rb2.code).toBe(0);
    const rb1 = await runCli(['rollback', '--db', file, '--phase', 'phase1', '--yes', '--no-backup'], { cwd });
    expect(rb1.code).toBe(0);
    expect(rb1.stdout).toMatch(/Phase 1: rolled back, 21 statements/);
    expect(await schemaOf(file)).toEqual(v1Schema);
    expect(await contentsOf(file)).toEqual(v1Rows);

    const again = await runCli(['rollback', '--db', file, '--yes', '--no-backup'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already rolled back/);
  });
});

describe('failures', () => {
  it('a conflict fails with exit 1 and changes nothing', async () => {
    const file = await v1Database();
    await sqlOn(file, ['ALTER TABLE users ADD COLUMN api_key_hash TEXT']);
    const bytes = fs.readFileSync(file);
    const run = await runCli(['apply', '--db', file, '--yes', '--json', '--no-backup']);
    expect(run.code).toBe(1);
    expect(run.json().ok).toBe(false);
    expect(run.json().error.message).toMatch(/nothing was changed/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('TURSO_URL is read when --db is absent, and a token never reaches the output', async () => {
    const file = await v1Database();
    const token = 'tok_SECRET_0123456789abcdef';
    const run = await runCli(['stats', '--json', '--auth-token', token], { env: { TURSO_URL: `file:${file}` } });
    expect(run.code).toBe(0);
    expect(run.json().counts.tables).toBe(9);
    expect(run.stdout + run.stderr).not.toContain(token);
  });
});
