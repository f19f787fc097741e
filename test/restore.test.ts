/**
 * Restore is what an operator reaches for when something already went wrong: every case runs
 * the real CLI on real files, as a user would, and checks every file afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { contentsOf, releaseFileHandles, rowsOf, sqlOn, tempDir, v1Database } from './support/fixtures.js';

async function backupOf(file: string, format: 'db' | 'sql' = 'db'): Promise<string> {
  const dir = path.join(path.dirname(file), 'backups');
  const run = await runCli(['backup', '--db', file, '--backup-dir', dir, '--format', format, '--json']);
  expect(run.code).toBe(0);
  return run.json().backup.path as string;
}

/** The CLI restore, after this test process let go of its own handles on the files (see releaseFileHandles). */
async function restore(args: string[], options: { cwd?: string } = {}) {
  await releaseFileHandles();
  return runCli(['restore', ...args], options);
}

const count = async (file: string, table: string) => Number((await rowsOf(file, `SELECT count(*) AS n FROM ${table}`))[0].n);

/** Writes a manifest and .sha256 that match `file` as it is now (an attacker's recomputation). */
async function rehash(file: string, manifestOf: string): Promise<void> {
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(
    `${file}.json`,
    JSON.stringify({ ...JSON.parse(fs.readFileSync(`${manifestOf}.json`, 'utf8')), file: path.basename(file), sha256: sha, bytes: fs.statSync(file).size }),
  );
  fs.writeFileSync(`${file}.sha256`, `${sha}  ${path.basename(file)}\n`);
}

describe('restore', () => {
  it('through a symlink replaces the file the application opens, keeping its mode; the link stays a link', async () => {
    const dir = tempDir('sw-rs-');
    fs.mkdirSync(path.join(dir, 'real'));
    const real = await v1Database({}, path.join(dir, 'real'));
    fs.chmodSync(real, 0o664);
    const link = path.join(dir, 'link.db');
    fs.symlinkSync(real, link);
    const backup = await backupOf(real);
    await sqlOn(real, ['DELETE FROM memories WHERE rowid <= 10']);
    const run = await restore(['--from', backup, '--db', link, '--yes', '--discard-newer']);
    expect(run.code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(real);
    expect(await count(real, 'memories')).toBe(60);
    expect(fs.statSync(real).mode & 0o777).toBe(0o664);
    expect(run.stdout).toMatch(/kept, whole, at .*real\/memory\.db\.replaced-/);
  });

  it('refuses to discard rows written since the backup, naming them per table, unless --discard-newer; the replaced file is kept', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    await sqlOn(
      file,
      Array.from(
        { length: 5 },
        (_, i) =>
          `INSERT INTO memories (user_id, title, content, memory_type, created_at, updated_at) VALUES ('user-0001', 'new ${i}', 'c', 'semantic', 'x', 'x')`,
      ),
    );
    const bytes = fs.readFileSync(file);
    const refused = await restore(['--from', backup, '--db', file, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/memories: 65 rows now, 60 in the backup, 5 written since/);
    expect(refused.stderr).toMatch(/--discard-newer/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const run = await restore(['--from', backup, '--db', file, '--yes', '--discard-newer', '--json']);
    expect(run.code).toBe(0);
    expect(await count(file, 'memories')).toBe(60);
    const kept = run.json().replacedKeptAt as string;
    expect(await count(kept, 'memories')).toBe(65);
  });

  it('refuses a backup of another database unless --force-other-database', async () => {
    const a = await v1Database({ seed: 1 });
    const b = await v1Database({ seed: 2 });
    await sqlOn(b, ['PRAGMA foreign_keys = OFF', "UPDATE users SET id = 'other-' || id"]);
    const backup = await backupOf(a);
    const bytes = fs.readFileSync(b);
    const refused = await restore(['--from', backup, '--db', b, '--yes', '--discard-newer']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not look like a backup of/);
    expect(fs.readFileSync(b).equals(bytes)).toBe(true);
    const forced = await restore(['--from', backup, '--db', b, '--yes', '--discard-newer', '--force-other-database']);
    expect(forced.code).toBe(0);
    expect(await contentsOf(b)).toEqual(await contentsOf(a));
  });

  it('refuses while another process has the database open, naming it', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('libsql'); const d = new D(${JSON.stringify(file)}); d.prepare('SELECT 1').get(); console.log('open'); setInterval(() => {}, 1000);`,
      ],
      {
        cwd: path.resolve('.'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const bytes = fs.readFileSync(file);
      const run = await restore(['--from', backup, '--db', file, '--yes']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`is open in another process \\(node pid ${holder.pid}\\)`));
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a WAL database comes back in WAL mode', async () => {
    const file = await v1Database();
    await sqlOn(file, ['PRAGMA journal_mode = WAL']);
    const backup = await backupOf(file);
    const run = await restore(['--from', backup, '--db', file, '--yes']);
    expect(run.code).toBe(0);
    expect((await rowsOf(file, 'PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
  });

  it('refuses a backup whose schema was altered with its checksum recomputed, and manifests that are not manifests', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    const manifestFile = `${backup}.json`;
    const original = fs.readFileSync(manifestFile, 'utf8');
    const tampered = `${backup}.tampered.db`;
    fs.copyFileSync(backup, tampered);
    await sqlOn(tampered, ['CREATE TRIGGER evil AFTER INSERT ON memories BEGIN DELETE FROM users; END', 'DROP INDEX idx_memories_created']);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(fs.readFileSync(tampered)).digest('hex');
    const m = JSON.parse(original);
    fs.writeFileSync(`${tampered}.json`, JSON.stringify({ ...m, sha256: sha, bytes: fs.statSync(tampered).size }));
    fs.writeFileSync(`${tampered}.sha256`, `${sha}  ${path.basename(tampered)}\n`);
    const bytes = fs.readFileSync(file);
    const run = await restore(['--from', tampered, '--db', file, '--yes']);
    expect(run.code).toBe(1);
    // The manifest's digest of every b-tree notices first (the index is gone); the schema digest would too.
    expect(run.stderr).toMatch(
      /was altered after it was taken: idx_memories_created is missing|schema of the restored copy differs from the one its manifest recorded/,
    );
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const cases: [string, RegExp][] = [
      ['null', /not a schema-wizard manifest \(not a JSON object\)/],
      [JSON.stringify({ ...m, format: 'sql' }), /is a SQLite database file, but its manifest says format "sql"/],
      [JSON.stringify({ ...m, rows: 999999 }), /says 999999 rows, but its own per-table counts add up to/],
    ];
    for (const [content, message] of cases) {
      fs.writeFileSync(manifestFile, content);
      const r = await restore(['--from', backup, '--db', file, '--yes']);
      expect({ code: r.code, message: message.test(r.stderr), unexpected: /unexpected error/.test(r.stderr) }).toEqual({
        code: 1,
        message: true,
        unexpected: false,
      });
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    }
  });

  it('removes what a killed restore left behind and lists the replaced databases it keeps', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    fs.writeFileSync(`${file}.restore-999999.partial`, 'junk');
    const first = await restore(['--from', backup, '--db', file, '--yes']);
    expect(first.code).toBe(0);
    expect(fs.existsSync(`${file}.restore-999999.partial`)).toBe(false);
    const second = await restore(['--from', backup, '--db', file, '--yes']);
    expect(second.stderr).toMatch(/earlier restores kept the databases they replaced: .*memory\.db\.replaced-.* \(\d+ KiB\)/);
  });
});

describe('paths are paths', () => {
  const names = ['x%41.db', '100%.db', 'q?a.db', 'h#b.db', 'sp ace.db', 'nl\nx.db', 'ünï😀.db'];
  for (const name of names) {
    it(`${JSON.stringify(name)} opens exactly that file, and apply migrates exactly it`, async () => {
      const dir = tempDir('sw-path-');
      const file = path.join(dir, name);
      const made = await runCli(['demo', '--out', file]);
      expect(made.code).toBe(0);
      const plan = await runCli(['plan', '--db', file, '--json']);
      expect(plan.code).toBe(0);
      const apply = await runCli(['apply', '--db', file, '--yes', '--no-backup', '--keep-plaintext-keys']);
      expect(apply.code).toBe(0);
      expect(fs.readdirSync(dir).filter((f) => !f.startsWith(name))).toEqual([]);
      expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'idx_users_api_key_hash'"))[0].n).toBe(1n);
    });
  }

  it('a file: URL with a query is refused, never ignored', async () => {
    const file = await v1Database();
    const bytes = fs.readFileSync(file);
    const run = await runCli(['apply', '--db', `file:${file}?mode=ro`, '--yes', '--no-backup']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/file: URLs with a query or fragment are not supported/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const bad = await runCli(['plan', '--db', 'file:100%.db']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Not a valid file: URL/);
  });
});

describe('restore, second round of attacks', () => {
  it('an altered .sql backup cannot ATTACH another file: refused before anything is loaded', async () => {
    const file = await v1Database();
    const victim = await v1Database();
    const backup = await backupOf(file, 'sql');
    const lines = fs.readFileSync(backup, 'utf8').trimEnd().split('\n');
    const altered = `${backup}.evil.sql`;
    fs.writeFileSync(altered, `${lines.slice(0, -1).join('\n')}\nATTACH DATABASE '${victim}' AS p;\nDELETE FROM p.users;\nCOMMIT;\n`);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(fs.readFileSync(altered)).digest('hex');
    fs.writeFileSync(
      `${altered}.json`,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8')), sha256: sha, bytes: fs.statSync(altered).size }),
    );
    const usersBefore = await count(victim, 'users');
    const run = await restore(['--from', altered, '--db', path.join(path.dirname(file), 'fresh.db'), '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/holds a statement a schema-wizard dump never contains \(ATTACH DATABASE/);
    expect(await count(victim, 'users')).toBe(usersBefore);
    // A truncated dump is a sentence too.
    const truncated = `${backup}.cut.sql`;
    fs.writeFileSync(truncated, fs.readFileSync(backup, 'utf8').slice(0, -120));
    const sha2 = createHash('sha256').update(fs.readFileSync(truncated)).digest('hex');
    fs.writeFileSync(
      `${truncated}.json`,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8')), sha256: sha2, bytes: fs.statSync(truncated).size }),
    );
    const cut = await restore(['--from', truncated, '--db', path.join(path.dirname(file), 'fresh2.db'), '--yes']);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/truncated|does not match|verification failed/);
    expect(cut.stderr).not.toMatch(/unexpected error/);
  });

  it('a trigger planted on a bookkeeping table in a .db backup is refused by restore, and by every command on a database that has one', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    const planted = `${backup}.planted.db`;
    fs.copyFileSync(backup, planted);
    await sqlOn(planted, [
      'CREATE TABLE IF NOT EXISTS _schema_wizard_lock (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "user" TEXT NOT NULL, command TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL)',
      'CREATE TRIGGER _x AFTER INSERT ON _schema_wizard_lock BEGIN DELETE FROM memories; END',
    ]);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(fs.readFileSync(planted)).digest('hex');
    const m = JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8'));
    delete m.schemaSha256;
    fs.writeFileSync(`${planted}.json`, JSON.stringify({ ...m, sha256: sha, bytes: fs.statSync(planted).size }));
    const run = await restore(['--from', planted, '--db', file, '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/schema of the restored copy differs|was altered after it was taken: sqlite_schema differs/);
    const apply = await runCli(['apply', '--db', planted, '--yes', '--no-backup', '--phase', '1']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/trigger _x on _schema_wizard_lock: schema-wizard's bookkeeping tables never carry triggers/);
    expect(await count(planted, 'memories')).toBe(60);
  });

  it('a hard link to the database held open elsewhere counts as the database being open', async () => {
    const file = await v1Database();
    const backup = await backupOf(file);
    const twin = path.join(path.dirname(file), 'twin.db');
    fs.linkSync(file, twin);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('libsql'); const d = new D(${JSON.stringify(twin)}); d.prepare('SELECT 1').get(); console.log('open'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const run = await restore(['--from', backup, '--db', file, '--yes']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/is open in another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a dangling symlink: the restore goes to the file the link names, and the link stays a link', async () => {
    const dir = tempDir('sw-dang-');
    const source = await v1Database({}, dir);
    const backup = await backupOf(source);
    const link = path.join(dir, 'dang.db');
    const target = path.join(dir, 'nowhere.db');
    fs.symlinkSync(target, link);
    const run = await restore(['--from', backup, '--db', link, '--yes']);
    expect(run.code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await count(target, 'memories')).toBe(60);
  });

  it('a .db backup altered below the rows (one index entry, one journal DDL), its checksums recomputed, is refused untouched', async () => {
    const file = await v1Database();
    await runCli(['apply', '--db', file, '--phase', '1', '--yes', '--no-backup']);
    const backup = await backupOf(file);
    const cases: [string, string[]][] = [
      ['index', []],
      [
        'journal',
        [
          "UPDATE _schema_wizard_journal SET dropped = replace(dropped, 'CREATE INDEX idx_entities_name ON entities(name)', 'CREATE TRIGGER idx_entities_name AFTER INSERT ON memories BEGIN DELETE FROM users; END') WHERE id = 1",
        ],
      ],
      // Rows untouched, their meaning changed: a journal column replaced by one with a DEFAULT.
      [
        'ddl',
        [
          'PRAGMA writable_schema = ON',
          "UPDATE sqlite_schema SET sql = replace(sql, 'archive TEXT,', 'archive_o TEXT,') || '' WHERE name = '_schema_wizard_journal'",
          'PRAGMA writable_schema = OFF',
        ],
      ],
    ];
    for (const [what, sql] of cases) {
      const altered = `${backup}.${what}.db`;
      fs.copyFileSync(backup, altered);
      if (what === 'index') {
        // One byte of an index b-tree page: the rows and the schema stay as they were.
        const [{ rootpage }] = await rowsOf(altered, "SELECT rootpage FROM sqlite_schema WHERE name = 'idx_users_email'");
        const [{ page_size }] = await rowsOf(altered, 'PRAGMA page_size');
        const bytes = fs.readFileSync(altered);
        const start = (Number(rootpage) - 1) * Number(page_size);
        const at = bytes.indexOf(Buffer.from('@example'), start);
        expect(at).toBeGreaterThan(start);
        bytes[at - 1] ^= 0x01;
        fs.writeFileSync(altered, bytes);
      } else await sqlOn(altered, sql);
      await rehash(altered, backup);
      const before = fs.readFileSync(file);
      const run = await restore(['--from', altered, '--db', file, '--yes', '--discard-newer']);
      expect(run.code, what).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`was altered after it was taken: (idx_users_email|_schema_wizard_journal|sqlite_schema) differs`));
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    }
  });

  it('a .sql backup with a write after a trigger, or an FTS command other than rebuild, is refused before anything is loaded', async () => {
    const file = await v1Database();
    const backup = await backupOf(file, 'sql');
    const text = fs.readFileSync(backup, 'utf8');
    const cases = [
      "CREATE TABLE _schema_wizard_pieces (v INTEGER NOT NULL, n INTEGER NOT NULL, piece BLOB NOT NULL, PRIMARY KEY (v, n));\nCREATE TRIGGER evil AFTER INSERT ON _schema_wizard_pieces BEGIN DELETE FROM users; END;\nINSERT INTO _schema_wizard_pieces VALUES (0, 0, x'00');\nDROP TABLE _schema_wizard_pieces;\n",
      "INSERT INTO memories_fts(memories_fts) VALUES('delete-all');\n",
      "INSERT INTO main.memories_fts(memories_fts) VALUES('delete-all');\n",
      "INSERT INTO memories_fts(memories_fts, rank) VALUES('delete-all', 0);\n",
      "INSERT INTO memories_fts(memories_fts) SELECT 'delete-all';\n",
      "INSERT INTO memories_fts(rowid, title, content, tags) VALUES(1, 'zzphantom', 'x', 'y');\n",
      "INSERT INTO memories_fts_data(id, block) VALUES(999, x'00');\n",
      "INSERT INTO _schema_wizard_lock VALUES (1, 'r-evil', 'otherhost', 'u', 1, 'apply', '2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z');\n",
    ];
    for (const [i, extra] of cases.entries()) {
      const altered = `${backup}.${i}.sql`;
      fs.writeFileSync(altered, text.replace(/COMMIT;\n$/, `${extra}COMMIT;\n`));
      await rehash(altered, backup);
      const before = fs.readFileSync(file);
      const run = await restore(['--from', altered, '--db', file, '--yes', '--discard-newer']);
      expect(run.code, extra).toBe(1);
      expect(run.stderr, extra).toMatch(
        /holds a statement a schema-wizard dump never contains .*the backup was altered|was altered after it was taken: _schema_wizard_lock/,
      );
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    }
  });

  it('a .sql backup that creates a virtual table of another module, or writes a shadow table under brackets, is refused', async () => {
    const file = await v1Database();
    const backup = await backupOf(file, 'sql');
    const text = fs.readFileSync(backup, 'utf8');
    for (const extra of ['CREATE VIRTUAL TABLE pages USING sqlite_dbpage;\n', "INSERT INTO [memories_fts_data](id, block) VALUES(999, x'00');\n"]) {
      const altered = `${backup}.m.sql`;
      fs.writeFileSync(altered, text.replace(/^(CREATE VIRTUAL TABLE memories_fts .*;\n)/m, `$1${extra}`));
      expect(fs.readFileSync(altered, 'utf8')).toContain(extra);
      await rehash(altered, backup);
      const target = path.join(path.dirname(file), 'fresh-m.db');
      const run = await restore(['--from', altered, '--db', target, '--yes']);
      expect(run.code, extra).toBe(1);
      expect(run.stderr, extra).toMatch(/holds a statement a schema-wizard dump never contains/);
      expect(fs.existsSync(target), extra).toBe(false);
    }
    // A statement that fails as the file wrote it is a sentence too, never an unexpected error.
    const broken = `${backup}.b.sql`;
    fs.writeFileSync(broken, text.replace('BEGIN TRANSACTION;\n', 'BEGIN TRANSACTION;\nINSERT INTO no_such_table VALUES(1);\n'));
    await rehash(broken, backup);
    const run = await restore(['--from', broken, '--db', path.join(path.dirname(file), 'fresh-b.db'), '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/does not load: .*no such table.*Nothing was replaced/);
    expect(run.stderr).not.toMatch(/unexpected error/);
  });

  it('a journal that would recreate learned_patterns in temp is refused by rollback, the archive kept', async () => {
    const file = await v1Database({ learnedPatterns: 12 });
    await runCli(['apply', '--db', file, '--phase', '1', '--yes', '--no-backup']);
    await sqlOn(file, [
      "UPDATE _schema_wizard_journal SET dropped = (SELECT json_group_array(CASE WHEN json_extract(value, '$.type') = 'table' THEN json_set(value, '$.sql', replace(json_extract(value, '$.sql'), 'CREATE TABLE learned_patterns', 'CREATE TABLE temp.learned_patterns')) ELSE json(value) END) FROM json_each(dropped)) WHERE id = 1",
    ]);
    const run = await runCli(['rollback', '--db', file, '--phase', '1', '--yes', '--no-backup']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/table learned_patterns with DDL that is not a CREATE TABLE of that name: the journal was altered/);
    expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'"))[0].n).toBe(1n);
  });

  it('a change only a collation or a number type hides (ALICE for alice, 1.0 for 1) counts as changed since the backup', async () => {
    const file = await v1Database();
    await sqlOn(file, [
      'ALTER TABLE users ADD COLUMN nick TEXT COLLATE NOCASE',
      'ALTER TABLE users ADD COLUMN extra',
      "UPDATE users SET nick = 'alice', extra = 1",
    ]);
    const backup = await backupOf(file);
    for (const change of ["UPDATE users SET nick = 'ALICE' WHERE rowid = 1", "UPDATE users SET nick = 'alice', extra = 1.0 WHERE rowid = 1"]) {
      await sqlOn(file, ["UPDATE users SET nick = 'alice', extra = 1", change]);
      const run = await restore(['--from', backup, '--db', file, '--yes']);
      expect(run.code, change).toBe(2);
      expect(run.stderr).toMatch(/users: \d+ rows now, \d+ in the backup, rows changed or deleted since/);
    }
  });

  it('a journal whose DDL is not what it says it is (a trigger recorded as an index) is refused by rollback', async () => {
    const file = await v1Database();
    await runCli(['apply', '--db', file, '--phase', '1', '--yes', '--no-backup']);
    await sqlOn(file, [
      "UPDATE _schema_wizard_journal SET dropped = replace(dropped, 'CREATE INDEX idx_entities_name ON entities(name)', 'CREATE TRIGGER idx_entities_name AFTER INSERT ON memories BEGIN DELETE FROM users; END') WHERE id = 1",
    ]);
    const run = await runCli(['rollback', '--db', file, '--phase', '1', '--yes', '--no-backup']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/index idx_entities_name with DDL that is not a CREATE INDEX of that name: the journal was altered/);
    expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger' AND name = 'idx_entities_name'"))[0].n).toBe(0n);
  });

  it('rows rewritten with the same values (an UPDATE after ADD COLUMN re-encodes them) are not "changed since the backup"', async () => {
    const file = await v1Database();
    await sqlOn(file, ["ALTER TABLE entities ADD COLUMN extra TEXT DEFAULT 'd'"]);
    const backup = await backupOf(file);
    await sqlOn(file, ['UPDATE entities SET name = name']);
    const run = await restore(['--from', backup, '--db', file, '--yes']);
    expect(run.code).toBe(0);
    await sqlOn(file, ["UPDATE entities SET name = 'changed' WHERE rowid = 1"]);
    const refused = await restore(['--from', backup, '--db', file, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/entities: \d+ rows now, \d+ in the backup, rows changed or deleted since/);
  });
});
