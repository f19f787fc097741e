/**
 * What goes wrong in real maintenance windows: bad input, a busy database, two operators at
 * once, a crashed run's lock, and secrets. Each case: a clear sentence, the right exit code,
 * and a database left untouched (or converging on re-run).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { contentsOf, rowsOf, schemaOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';
import { BIN } from './support/cli.js';
import { openDb } from '../src/core/db/db.js';
import { resolveTarget } from '../src/core/db/target.js';

const LOCK_DDL =
  'CREATE TABLE IF NOT EXISTS _schema_wizard_lock (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "user" TEXT NOT NULL, command TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL)';

function lockRow(host: string, pid: number, expiresAt: Date) {
  return `INSERT INTO _schema_wizard_lock VALUES (1, 'r-other-run', '${host}', ${pid}, 'alice', 'apply', '2026-01-01T00:00:00.000Z', '${expiresAt.toISOString()}')`;
}

describe('bad input is refused with one line, exit 2, nothing touched', () => {
  it.each([
    ['a directory', async (dir: string) => dir, /is a directory, not a database file/],
    [
      'a file that is not a database',
      async (dir: string) => (fs.writeFileSync(path.join(dir, 'x.db'), 'hello world, not sqlite'), path.join(dir, 'x.db')),
      /is not a SQLite database/,
    ],
    [
      'a corrupt database',
      async (dir: string) => {
        const file = await v1Database({}, dir);
        const fd = fs.openSync(file, 'r+');
        fs.writeSync(fd, Buffer.alloc(4096 * 4, 0xff), 0, 4096 * 4, 4096 * 2);
        fs.closeSync(fd);
        return file;
      },
      /is corrupt: database disk image is malformed/,
    ],
    [
      'a read-only file',
      async (dir: string) => {
        const f = await v1Database({}, dir);
        fs.chmodSync(f, 0o444);
        return f;
      },
      /is read-only/,
    ],
    [
      'a read-only directory',
      async (dir: string) => {
        const sub = path.join(dir, 'ro');
        fs.mkdirSync(sub);
        const f = await v1Database({}, sub);
        fs.chmodSync(sub, 0o555);
        return f;
      },
      /The directory .* is read-only/,
    ],
  ])('%s', async (_name, make, message) => {
    const dir = tempDir();
    const target = await make(dir);
    const before = fs.statSync(target).isFile() ? fs.readFileSync(target) : null;
    const run = await runCli(['apply', '--db', target, '--yes', '--no-backup']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/\n {2}fix: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    if (before) expect(fs.readFileSync(target).equals(before)).toBe(true);
  });

  it('--debug adds the stack trace', async () => {
    const run = await runCli(['stats', '--db', '/nonexistent/dir/x.db', '--debug']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\n\s+at /);
  });
});

/** A private mount namespace with a tiny tmpfs: a real "disk full" without touching the machine. */
const canMountTmpfs = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /tmp && true']).status === 0;

describe('a full disk during the backup', () => {
  it.skipIf(!canMountTmpfs)('stops apply with a clear error, removes the partial file, and leaves the data as it was', async () => {
    const file = await v1Database({ memories: 300 });
    const schema = await schemaOf(file);
    const rows = await contentsOf(file);
    const full = tempDir('sw-full-');
    const script = `mount -t tmpfs -o size=64k tmpfs ${full} && cd ${full} && CI=1 ${process.execPath} ${BIN} apply --db ${file} --yes --backup-dir ${full}/b; echo "exit=$?"; ls -A ${full}/b`;
    const run = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/exit=1/);
    expect(run.stderr).toMatch(
      /Backup failed while writing .*backup-\d{8}-\d{6}\.db: the disk is full\. The partial file was removed and the database was not changed\./,
    );
    expect(run.stderr).toMatch(/fix: Free space or choose another --backup-dir/);
    expect(run.stdout.replace(/exit=1\s*/, '').trim()).toBe('');
    expect(await schemaOf(file)).toEqual(schema);
    expect(await contentsOf(file)).toEqual(rows);
  });
});

describe('a database another process is writing', () => {
  it('waits --busy-timeout, then says it is busy, exit 1, untouched', async () => {
    const file = await v1Database();
    const holder = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'pipe'] });
    holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
    await new Promise<void>((resolve) => holder.stdout.on('data', (d) => String(d).includes('locked') && resolve()));
    try {
      const started = Date.now();
      const run = await runCli(['apply', '--db', file, '--yes', '--no-backup', '--busy-timeout', '700ms']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/is busy: another process holds a write lock on it/);
      expect(run.stderr).toMatch(/fix: Stop the application services/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    } finally {
      holder.stdin.end('ROLLBACK;\n.quit\n');
    }
    await new Promise((r) => holder.on('close', r));
    expect(await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name = 'learned_patterns'")).toHaveLength(1);
  });
});

describe("a write's warm-up read (local files)", () => {
  const warmUp = [{ sql: 'SELECT count(*) FROM users' }];

  it('runs on the connection that then writes, which gets its own cache size back afterwards', async () => {
    const db = await openDb(resolveTarget({ db: await v1Database() }));
    try {
      const [inside] = await db.atomicWrite([{ sql: 'SELECT cache_size FROM pragma_cache_size()' }], undefined, warmUp);
      expect(Number(inside.rows[0][0])).toBe(-16384);
      expect(Number((await db.query('PRAGMA cache_size'))[0].cache_size)).toBe(-2000);
      // And its busy timeout: a later BEGIN still waits --busy-timeout (default 5 s).
      expect(Number((await db.query('PRAGMA busy_timeout'))[0].timeout)).toBe(5_000);
    } finally {
      db.close();
    }
  });

  it('never waits for a writer: only the BEGIN waits, announced, --busy-timeout once', async () => {
    const file = await v1Database();
    const db = await openDb(resolveTarget({ db: file }), { busyTimeoutMs: 1_000 });
    const waits: string[] = [];
    db.onWait = (wait) => waits.push(wait ? wait.kind : 'done');
    // EXCLUSIVE: readers are refused too, as while another process commits.
    const holder = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'pipe'] });
    holder.stdin.write("BEGIN EXCLUSIVE;\nSELECT 'locked';\n");
    await new Promise<void>((resolve) => holder.stdout.on('data', (d) => String(d).includes('locked') && resolve()));
    try {
      const started = Date.now();
      await expect(db.atomicWrite([{ sql: 'CREATE TABLE never(x)' }], undefined, warmUp)).rejects.toThrow(/is busy/);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1_000);
      expect(waited).toBeLessThan(1_900);
      expect(waits).toEqual(['lock', 'done']);
    } finally {
      holder.stdin.end('ROLLBACK;\n.quit\n');
      db.close();
    }
    await new Promise((r) => holder.on('close', r));
    expect(await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name = 'never'")).toEqual([]);
  });
});

describe('two operators', () => {
  it('a live lock from another machine refuses, naming the holder; unlock clears it', async () => {
    const file = await v1Database();
    await sqlOn(file, [LOCK_DDL, lockRow('other-host', 4242, new Date(Date.now() + 3_600_000))]);
    const refused = await runCli(['apply', '--db', file, '--yes', '--no-backup']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Another schema-wizard run holds this database: run r-other-run \(apply\) by alice@other-host pid 4242/);
    expect(await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name = 'learned_patterns'")).toHaveLength(1);
    const unlock = await runCli(['unlock', '--db', file, '--yes']);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toMatch(/Cleared the lock of run r-other-run \(apply\) by alice@other-host pid 4242/);
    expect((await runCli(['apply', '--db', file, '--yes', '--no-backup'])).code).toBe(0);
  });

  it('an expired lock is taken over, and the output says whose it was', async () => {
    const file = await v1Database();
    await sqlOn(file, [LOCK_DDL, lockRow('other-host', 4242, new Date(Date.now() - 60_000))]);
    const run = await runCli(['apply', '--db', file, '--yes', '--no-backup']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/took over the lock of run r-other-run by alice@other-host pid 4242/);
  });

  it('a lock whose process is gone on this host is recognised and taken over', async () => {
    const file = await v1Database();
    const os = await import('node:os');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    await sqlOn(file, [LOCK_DDL, lockRow(os.hostname(), dead.pid!, new Date(Date.now() + 3_600_000))]);
    const run = await runCli(['apply', '--db', file, '--yes', '--no-backup']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`took over the lock of run r-other-run by alice@${os.hostname()} pid ${dead.pid}`));
  });

  it('two runs started together never interleave: one applies both phases, the other finds nothing to do or refuses', async () => {
    const file = await v1Database({ memories: 2000, interactions: 20000, usage: 40000, embeddingDims: 8 });
    const [a, b] = await Promise.all([runCli(['apply', '--db', file, '--yes', '--no-backup']), runCli(['apply', '--db', file, '--yes', '--no-backup'])]);
    for (const run of [a, b]) {
      expect([0, 1]).toContain(run.code);
      if (run.code === 1) expect(run.stderr).toMatch(/Another schema-wizard run holds this database|is busy/);
    }
    expect([a.code, b.code]).toContain(0);
    const journal = await rowsOf(file, "SELECT run_id, phase FROM _schema_wizard_journal WHERE action = 'apply' ORDER BY id");
    expect(journal.map((r) => r.phase)).toEqual(['phase1', 'phase2']);
    expect(new Set(journal.map((r) => r.run_id)).size).toBe(1);
  });
});

describe('secrets', () => {
  it('the auth token appears in no output, log, report, journal row, backup or manifest of a full remote run', async () => {
    const { serverFor } = await import('./support/targets.js');
    const file = await v1Database();
    const server = await serverFor(file);
    const work = tempDir('sw-secrets-');
    const env = { TURSO_URL: server.url, TURSO_AUTH_TOKEN: server.token };
    const outputs: string[] = [];
    for (const args of [
      ['plan'],
      ['backup'],
      ['apply', '--yes'],
      ['verify'],
      ['smoke'],
      ['stats', '--json'],
      ['--yes', '--report-dir', work],
      ['rollback', '--yes', '--json'],
    ]) {
      const run = await runCli(args, { cwd: work, env });
      outputs.push(run.stdout, run.stderr);
    }
    const wrong = await runCli(['stats', '--db', server.url, '--auth-token', `${server.token}x`]);
    outputs.push(wrong.stdout, wrong.stderr);
    const files = fs
      .readdirSync(work, { recursive: true })
      .map((f) => path.join(work, String(f)))
      .filter((f) => fs.statSync(f).isFile());
    expect(files.some((f) => f.endsWith('.sql'))).toBe(true);
    expect(files.some((f) => f.endsWith('.md'))).toBe(true);
    for (const f of files) {
      expect(fs.readFileSync(f).includes(server.token), f).toBe(false);
      expect(fs.statSync(f).mode & 0o777, f).toBe(0o600);
    }
    for (const text of outputs) expect(text.includes(server.token)).toBe(false);
    expect(fs.readFileSync(file).includes(server.token)).toBe(false);
  });

  it('a token given on the command line is scrubbed from the process title', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const token = 'tok_TITLE_SECRET_0123456789';
    const { BIN } = await import('./support/cli.js');
    const child = spawn(process.execPath, [BIN, 'stats', '--db', `http://127.0.0.1:${port}`, '--auth-token', token, '--connect-timeout', '5s'], {
      stdio: 'ignore',
    });
    try {
      let cmdline = '';
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
        if (cmdline.startsWith('schema-wizard')) break;
      }
      expect(cmdline.startsWith('schema-wizard')).toBe(true);
      expect(cmdline).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
      silent.close();
    }
  });
});
