/**
 * A remote backup reads the server's own dump (GET /dump, one request), as sqld serves it: the
 * loopback server reproduces its format. The dump is checked against the server before it
 * counts; where the endpoint is absent, the dump is truncated or cut, or it does not match, the
 * backup reads page by page instead and says why. Either way the backup restores exactly.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { realLiteral } from '../src/core/sql/real-literal.js';
import { dumpUrl } from '../src/core/backup/server-dump.js';
import { textExpression } from '../src/core/backup/server-dump-loader.js';
import { resolveTarget } from '../src/core/db/target.js';
import { runCli } from './support/cli.js';
import { contentsOf, rowsOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';
import type { DumpMode } from './support/hrana/start.js';
import { startHranaServer } from './support/hrana/start.js';
import { serverFor, TRANSPORTS, urlOf } from './support/targets.js';

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
    expect(json.backup.readWhy).toMatch(why);
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

  it('a value too large to hold as one statement (40 MB) is never buffered: read page by page, in pieces, and restored exactly', async () => {
    const file = await v1Database({ memories: 20 });
    await sqlOn(file, ['CREATE TABLE attachments (id INTEGER PRIMARY KEY, body BLOB)', 'INSERT INTO attachments (body) VALUES (randomblob(40000000))']);
    const { run, json } = await backupOf(file, { mode: 'served' });
    expect(run.code, run.stderr).toBe(0);
    expect(json.backup.read).toBe('paged-reads');
    expect(run.stderr).toMatch(/a statement over 32 MiB \(a large value\)/);
    const restored = path.join(tempDir('sw-sdump-l-'), 'restored.db');
    expect((await runCli(['restore', '--from', json.backup.path, '--db', restored, '--yes'])).code).toBe(0);
    const digest = async (db: string) =>
      (await rowsOf(db, 'SELECT length(body) AS n, hex(substr(body, 1, 64)) || hex(substr(body, -64)) AS ends FROM attachments'))[0];
    // Restore itself compared every row's hash with the manifest; the ends of the value are checked here too.
    expect(await digest(restored)).toEqual(await digest(file));
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

/** Writes a manifest and .sha256 that match `file` as it is now (an attacker's recomputation). */
function rehash(file: string, manifestOf: string): void {
  const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const manifest = JSON.parse(fs.readFileSync(`${manifestOf}.json`, 'utf8'));
  fs.writeFileSync(`${file}.json`, JSON.stringify({ ...manifest, file: path.basename(file), sha256: sha, bytes: fs.statSync(file).size }));
  fs.writeFileSync(`${file}.sha256`, `${sha}  ${path.basename(file)}\n`);
}

describe("the server's dump kept as the backup file", () => {
  it('is the text the server sent, byte for byte; sqlite3 loads it; restore rebuilds the database exactly, full-text index included', async () => {
    const file = await v1Database();
    await sqlOn(file, TRICKY);
    const { run, json } = await backupOf(file, { mode: 'served' });
    expect(run.code, run.stderr).toBe(0);
    expect(json.backup.read).toBe('server-dump');
    const backup = json.backup.path as string;
    const manifest = JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8'));
    expect(manifest.sqlWriter).toBe('server');
    const server = await serverFor(file);
    const served = Buffer.from(
      await (await fetch(`${server.url}/dump?preserve_row_ids=true`, { headers: { authorization: `Bearer ${server.token}` } })).arrayBuffer(),
    );
    expect(fs.readFileSync(backup).equals(served)).toBe(true);
    const sha = createHash('sha256').update(served).digest('hex');
    expect(manifest.sha256).toBe(sha);
    expect(fs.readFileSync(`${backup}.sha256`, 'utf8')).toContain(sha);
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    await expectExactRestore(file, backup);
    const restored = path.join(tempDir('sw-sdump-r-'), 'restored.db');
    expect((await runCli(['restore', '--from', backup, '--db', restored, '--yes'])).code).toBe(0);
    const word = String((await rowsOf(file, 'SELECT title FROM memories ORDER BY rowid LIMIT 1'))[0].title)
      .split(/\W+/)
      .find((w) => w.length > 3)!;
    const hits = async (db: string) => (await rowsOf(db, `SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH '${word}'`))[0].n;
    expect(Number(await hits(restored))).toBeGreaterThan(0);
    expect(await hits(restored)).toEqual(await hits(file));
    expect(execFileSync('sqlite3', [restored, "INSERT INTO memories_fts(memories_fts) VALUES('integrity-check'); SELECT 'ok';"]).toString().trim()).toBe('ok');
    // Stock sqlite3 reads the same file, every row of it (its own decimal parsing leaves some
    // REALs one bit off: the server writes shortest digits; restore reads them exactly).
    const loaded = path.join(tempDir('sw-sdump-s-'), 'sqlite3.db');
    execFileSync('sqlite3', [loaded], { input: fs.readFileSync(backup) });
    const counts = async (db: string) => Object.fromEntries(Object.entries(await contentsOf(db)).map(([t, rows]) => [t, rows.length]));
    expect(await counts(loaded)).toEqual(await counts(file));
  });

  it.each(TRANSPORTS)('restores into an empty remote database over %s exactly, proven before the server is touched', async (transport) => {
    const file = await v1Database();
    await sqlOn(file, TRICKY);
    const { json } = await backupOf(file, { mode: 'served' });
    expect(json.backup.read).toBe('server-dump');
    const emptyFile = path.join(tempDir('sw-sdump-e-'), 'empty.db');
    fs.writeFileSync(emptyFile, '');
    const target = await serverFor(emptyFile);
    const run = await runCli(['restore', '--from', json.backup.path, '--db', urlOf(target, transport), '--auth-token', target.token, '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(await contentsOf(emptyFile)).toEqual(await contentsOf(file));
    // A kept dump whose rows were edited (checksums recomputed) is refused before --replace drops anything.
    const edited = `${json.backup.path}.edited.sql`;
    fs.writeFileSync(edited, fs.readFileSync(json.backup.path, 'utf8').replace("'User 1'", "'User 9'"));
    rehash(edited, json.backup.path);
    const before = await contentsOf(emptyFile);
    const refused = await runCli(['restore', '--from', edited, '--db', urlOf(target, transport), '--auth-token', target.token, '--yes', '--replace']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Restore verification failed: .*users: content differs.*Nothing on the server was changed/s);
    expect(await contentsOf(emptyFile)).toEqual(before);
  });

  it('an altered kept dump, its checksums recomputed, is refused before anything is loaded into the target', async () => {
    const file = await v1Database();
    const { json } = await backupOf(file, { mode: 'served' });
    const backup = json.backup.path as string;
    const text = fs.readFileSync(backup, 'utf8');
    expect(text).toMatch(/PRAGMA writable_schema=ON;\nINSERT INTO sqlite_schema\(type,name,tbl_name,rootpage,sql\)VALUES\('table','memories_fts'/);
    const victim = await v1Database();
    const beforeCommit = (extra: string) => text.replace(/COMMIT;\n$/, `${extra}COMMIT;\n`);
    // Rows come before the indexes and the triggers (the v1 schema has full-text triggers).
    const beforeSchema = (extra: string) => text.replace(/^CREATE (UNIQUE )?INDEX/m, (m) => `${extra}${m}`);
    const cases: [string, string, RegExp][] = [
      [
        'an ATTACH',
        text.replace('BEGIN TRANSACTION;\n', `BEGIN TRANSACTION;\nATTACH '${victim}' AS v;\nDELETE FROM v.users;\n`),
        /a statement a dump never writes \(ATTACH/,
      ],
      [
        'a trigger written into sqlite_schema',
        text.replace(
          'PRAGMA writable_schema=ON;\n',
          "PRAGMA writable_schema=ON;\nINSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','t','t',0,'CREATE TRIGGER t AFTER INSERT ON users BEGIN DELETE FROM users; END');\n",
        ),
        /sqlite_schema something other than a virtual table's definition/,
      ],
      [
        "a virtual table's row under another name",
        text.replace(
          "VALUES('table','memories_fts','memories_fts',0,'CREATE VIRTUAL TABLE memories_fts",
          "VALUES('table','memories_fts','users',0,'CREATE VIRTUAL TABLE memories_fts",
        ),
        /sqlite_schema something other than a virtual table's definition/,
      ],
      [
        'a row written into sqlite_schema by another form',
        text.replace(
          'PRAGMA writable_schema=ON;\n',
          "PRAGMA writable_schema=ON;\nINSERT INTO sqlite_master VALUES('view','v','v',0,'CREATE VIEW v AS SELECT 1');\n",
        ),
        /it writes into sqlite_master/,
      ],
      [
        'a write after a trigger',
        beforeCommit("CREATE TRIGGER evil AFTER INSERT ON users BEGIN DELETE FROM memories; END;\nINSERT INTO users(id) VALUES('x');\n"),
        /writes after a trigger/,
      ],
      [
        'a command to the full-text table',
        beforeSchema("INSERT INTO memories_fts(memories_fts) VALUES('delete-all');\n"),
        /command to the virtual table memories_fts/,
      ],
      [
        'another PRAGMA',
        text.replace('BEGIN TRANSACTION;\n', 'BEGIN TRANSACTION;\nPRAGMA journal_mode=DELETE;\n'),
        /a statement a dump never writes \(PRAGMA journal_mode/,
      ],
      [
        'a trigger written into [sqlite_master]',
        beforeSchema(
          "INSERT INTO [sqlite_master] VALUES('trigger','evil','users',0,'CREATE TRIGGER evil AFTER UPDATE ON users BEGIN DELETE FROM memories; END');\n",
        ),
        /a statement a dump never writes \(INSERT INTO \[sqlite_master\]/,
      ],
      [
        'a view written into `sqlite_schema`',
        beforeSchema("INSERT INTO `sqlite_schema` VALUES('view','v','v',0,'CREATE VIEW v AS SELECT api_key FROM users');\n"),
        /a statement a dump never writes/,
      ],
      [
        'a page-writing virtual table',
        beforeSchema("INSERT INTO \"SQLITE_MASTER\" VALUES('table','p','p',0,'CREATE VIRTUAL TABLE p USING sqlite_dbpage');\n"),
        /it writes into sqlite_master/,
      ],
      [
        'a column list that hides a SELECT',
        beforeSchema('CREATE TABLE loot("k) VALUES(");\nINSERT INTO loot(\'k) VALUES(\') SELECT api_key FROM users;\n'),
        /a statement a dump never writes \(INSERT INTO loot/,
      ],
      [
        'a row computed by a query that never ends',
        beforeSchema(
          "INSERT INTO users(id,email,created_at,updated_at) VALUES((WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c),'e','c','u');\n",
        ),
        /a row that is not a list of values/,
      ],
      [
        'a RETURNING clause',
        beforeSchema("INSERT INTO users(id,email,created_at,updated_at) VALUES('r','r@example.com','c','u') RETURNING *;\n"),
        /a row that is not a list of values/,
      ],
      ['a table in another schema', beforeSchema('CREATE TABLE temp.shadow(a);\n'), /a CREATE TABLE a dump never writes/],
      ['a table made by a query', beforeSchema('CREATE TABLE copied AS SELECT * FROM users;\n'), /a CREATE TABLE a dump never writes/],
      ['the end cut off', text.slice(0, text.lastIndexOf('COMMIT;')), /ended before its COMMIT/],
      ['an INSERT ... SELECT', beforeSchema("INSERT INTO users(rowid,id) SELECT 1, 'dup';\n"), /a statement a dump never writes/],
      [
        // Rows run through the engine's exec, which runs every statement it is handed: a NUL
        // ends the engine's reading of the text early, so it can only see less, and fails.
        'a NUL inside a text, before a statement',
        beforeSchema(
          `INSERT INTO users(id,email,created_at,updated_at) VALUES('n\u0000'' ; ATTACH ''${victim}'' AS v; DELETE FROM v.users; --','e','c','u');\n`,
        ),
        /a statement of it failed \(INSERT INTO users/,
      ],
      [
        'a row that breaks a key',
        beforeSchema("INSERT INTO users(rowid,id,email) VALUES(1,'dup','dup@example.com');\n"),
        /a statement of it failed \(INSERT INTO users/,
      ],
    ];
    for (const [what, altered, why] of cases) {
      const evil = `${backup}.evil.sql`;
      fs.writeFileSync(evil, altered);
      rehash(evil, backup);
      const target = path.join(tempDir('sw-sdump-t-'), 'target.db');
      const victimBefore = fs.readFileSync(victim);
      const run = await runCli(['restore', '--from', evil, '--db', target, '--yes']);
      expect(run.code, what).toBe(1);
      expect(run.stderr, what).toMatch(/cannot be loaded: .*The backup is truncated or altered; nothing was replaced/);
      expect(run.stderr, what).toMatch(why);
      expect(run.stderr, what).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(target), what).toBe(false);
      expect(fs.readdirSync(path.dirname(target)), what).toEqual([]);
      expect(fs.readFileSync(victim).equals(victimBefore), what).toBe(true);
    }
  });

  it('reads the text expressions the exporter writes, and nothing else', () => {
    expect(textExpression("'it''s'")).toBe("it's");
    expect(textExpression("replace(replace('a\\rb\\nc','\\r',char(13)),'\\n',char(10))")).toBe('a\rb\nc');
    expect(textExpression("replace('a','',char(10))")).toBe('a');
    expect(textExpression("upper('a')")).toBeNull();
    expect(textExpression("replace((SELECT sql FROM sqlite_schema),'x',char(10))")).toBeNull();
    expect(textExpression("'a' || 'b'")).toBeNull();
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
