/**
 * A .db backup's pages: in rollback-journal mode the file's own bytes, read by a child process
 * while the backup's connection holds the read lock; in WAL mode through the engine, which sees
 * the committed pages still in the -wal file. Real files, a real second process writing.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { copyPages } from '../src/core/proof/page-copy.js';
import { allTreesDigestOfFile, recordDigestOfFile } from '../src/core/proof/record-digest.js';
import { runCli } from './support/cli.js';
import { rowsOf, tempDir, v1Database } from './support/fixtures.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** One write from another process that will not wait for a lock: its stderr, or '' when it committed. */
/** Runs `run` with the test seams in `env` set in this process (children inherit them), then unsets them. */
async function withEnv(env: Record<string, string>, run: () => Promise<void>): Promise<void> {
  Object.assign(process.env, env);
  try {
    await run();
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
  }
}

function writeNow(file: string): string {
  const run = spawnSync(
    'sqlite3',
    ['-cmd', '.timeout 0', file, "INSERT INTO users (id, email, created_at, updated_at) VALUES ('late-writer', 'late@example.com', 'c', 'u');"],
    { encoding: 'utf8' },
  );
  return run.status === 0 ? '' : run.stderr;
}

describe('page copies', () => {
  it('rollback-journal mode: the file copied byte for byte while no writer can commit', async () => {
    const file = await v1Database({ memories: 400 });
    const before = sha256(file);
    const dest = path.join(tempDir('sw-pc-'), 'copy.db');
    const attempts: string[] = [];
    let digestRan = false;
    let copyOnDisk = '';
    let writeDuringReadBack: string | null = null;
    const copy = await copyPages(
      file,
      dest,
      () => {
        if (attempts.length === 0) attempts.push(writeNow(file));
      },
      // What the backup does beside the copy: another connection of this process reads the file
      // and closes. SQLite keeps this process's locks through that close (its unix VFS defers it).
      () => {
        const other = new Database(file);
        other.prepare('SELECT count(*) FROM memories').get();
        other.close();
        digestRan = true;
      },
      // Once the child's copy is on disk: it is whole there (what quick_check reads), and the lock
      // is already let go, so the writer that was refused above commits now.
      () => {
        copyOnDisk = sha256(dest);
        writeDuringReadBack = writeNow(file);
      },
    );
    expect(digestRan).toBe(true);
    expect(copy.ranWhileCopying).toBe(true);
    expect(copy.ranWhileReadBack).toBe(true);
    expect(copyOnDisk).toBe(before);
    expect(writeDuringReadBack).toBe('');
    // The child read the copy back from the file system and hashed it again.
    expect(copy.reread).toBe(before);
    expect(copy.readBy).toBe('file');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatch(/database is locked/);
    expect(copy.sha256).toBe(before);
    expect(sha256(dest)).toBe(before);
    expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
    expect(Number((await rowsOf(file, "SELECT count(*) AS n FROM users WHERE id = 'late-writer'"))[0].n)).toBe(1);
    expect(Number((await rowsOf(dest, "SELECT count(*) AS n FROM users WHERE id = 'late-writer'"))[0].n)).toBe(0);
  });

  it('a digest read from the file by a child equals the one read through the engine (WAL mode), tree for tree', async () => {
    const file = await v1Database({ memories: 300 });
    const wal = path.join(tempDir('sw-pc-'), 'wal.db');
    fs.copyFileSync(file, wal);
    execFileSync('sqlite3', [wal, 'PRAGMA journal_mode = WAL;']);
    const readers: string[] = [];
    const fromFile = await allTreesDigestOfFile(file, '_schema_wizard_lock', undefined, (by) => readers.push(by));
    const throughEngine = await allTreesDigestOfFile(wal, '_schema_wizard_lock', undefined, (by, why) => readers.push(`${by} (${why})`));
    expect(readers).toEqual(['file', 'engine (WAL mode)']);
    expect(Object.keys(fromFile.tables).length).toBeGreaterThan(20);
    expect(throughEngine).toEqual(fromFile);
    // One value changed in the WAL copy: that table's digest, and only its, moves.
    execFileSync('sqlite3', [wal, "UPDATE users SET email = 'changed@example.com' WHERE rowid = (SELECT min(rowid) FROM users);"]);
    const changed = await recordDigestOfFile(wal, ['users', 'memories']);
    expect(changed.tables.memories).toEqual(fromFile.tables.memories);
    expect(changed.tables.users.rows).toBe(fromFile.tables.users.rows);
    expect(changed.tables.users.sha256).not.toBe(fromFile.tables.users.sha256);
  });

  describe('the read-back (the child pauses before it, as a test may ask)', () => {
    const flipLastByte = (file: string) => {
      const fd = fs.openSync(file, 'r+');
      const size = fs.fstatSync(fd).size;
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, size - 1);
      byte[0] ^= 0xff;
      fs.writeSync(fd, byte, 0, 1, size - 1);
      fs.closeSync(fd);
    };
    const paused = (ms: number, run: () => Promise<void>) => withEnv({ SCHEMA_WIZARD_TEST_READBACK_PAUSE_MS: String(ms) }, run);

    it('reads the file on disk: a byte changed after the copy was written shows in its hash', async () => {
      const file = await v1Database({ memories: 50 });
      const dest = path.join(tempDir('sw-pc-'), 'copy.db');
      await paused(300, async () => {
        const copy = await copyPages(file, dest, undefined, undefined, () => flipLastByte(dest));
        expect(copy.sha256).toBe(sha256(file));
        expect(copy.reread).toBe(sha256(dest));
        expect(copy.reread).not.toBe(copy.sha256);
      });
    });

    it.each([
      { flush: 'in flight', env: {} as Record<string, string> },
      { flush: 'already failed', env: { SCHEMA_WIZARD_TEST_FLUSH_ERROR: 'EIO: i/o error, fsync' } },
    ])('a child killed before it confirmed its flush ($flush): the copy never counts, is not flushed again, and is removed', async ({ env }) => {
      const file = await v1Database({ memories: 50 });
      const dest = path.join(tempDir('sw-pc-'), 'copy.db');
      let checked = false;
      await withEnv({ ...env, SCHEMA_WIZARD_TEST_READBACK_PAUSE_MS: '5000' }, async () => {
        const copying = copyPages(file, dest, undefined, undefined, () => {
          checked = fs.existsSync(dest);
          execFileSync('pkill', ['-KILL', '-P', String(process.pid), '-f', 'file-copy-child']);
        });
        await expect(copying).rejects.toThrow(
          /The backup could not be written to disk: its copy did not flush \(the copying process ended before it confirmed the flush\)\. The partial file was removed/,
        );
      });
      expect(checked).toBe(true);
      expect(fs.existsSync(dest)).toBe(false);
      expect(writeNow(file)).toBe('');
    });

    it('the CLI backup fails in a sentence, keeping nothing, when the copy on disk is not what was written', async () => {
      const file = await v1Database({ memories: 50 });
      const dir = tempDir('sw-pc-');
      const size = fs.statSync(file).size;
      const running = runCli(['backup', '--db', file, '--backup-dir', dir], { env: { SCHEMA_WIZARD_TEST_READBACK_PAUSE_MS: '3000' } });
      // The copy is whole once it has the source's size: change it while the child waits to read it back.
      for (let waited = 0; waited < 20_000; waited += 20) {
        const partial = fs.readdirSync(dir).find((f) => f.endsWith('.partial'));
        if (partial && fs.statSync(path.join(dir, partial)).size === size) {
          flipLastByte(path.join(dir, partial));
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const run = await running;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Backup verification failed: .* does not hold the bytes that were written to it/);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });

  describe('the flush to disk, after the lock (the child fails it, as a test may ask)', () => {
    it('a copy whose flush failed is removed, never flushed again, and the copy fails in a sentence', async () => {
      const file = await v1Database({ memories: 50 });
      const dest = path.join(tempDir('sw-pc-'), 'copy.db');
      let checked = false;
      await withEnv({ SCHEMA_WIZARD_TEST_FLUSH_ERROR: 'EIO: i/o error, fsync' }, () =>
        expect(copyPages(file, dest, undefined, undefined, () => (checked = true))).rejects.toThrow(
          /The backup could not be written to disk: its copy did not flush \(EIO: i\/o error, fsync\)\. The partial file was removed and the database was not changed\./,
        ),
      );
      // The lock was let go and the check ran beside the flush; what is left is nothing.
      expect(checked).toBe(true);
      expect(fs.existsSync(dest)).toBe(false);
      expect(writeNow(file)).toBe('');
    });

    it('the CLI backup exits 1 with the reason and keeps no file', async () => {
      const file = await v1Database({ memories: 50 });
      const dir = tempDir('sw-pc-');
      const run = await runCli(['backup', '--db', file, '--backup-dir', dir], {
        env: { SCHEMA_WIZARD_TEST_FLUSH_ERROR: 'ENOSPC: no space left on device, fsync' },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/The backup could not be written to disk: its copy did not flush \(ENOSPC: no space left on device, fsync\)/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });

  it.each([
    { pageSize: 65_536, reserve: 12 },
    { pageSize: 1_024, reserve: 0 },
  ])(
    'the file and the engine agree on odd geometry: $pageSize-byte pages, $reserve reserved bytes, overflow chains, WITHOUT ROWID keys, free pages',
    async ({ pageSize, reserve }) => {
      const file = path.join(tempDir('sw-pc-'), 'odd.db');
      execFileSync('sqlite3', [
        file,
        `PRAGMA page_size = ${pageSize};`,
        `.filectrl reserve_bytes ${reserve}`,
        `CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB, note TEXT);
       CREATE TABLE keyed (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
       CREATE INDEX blobs_note ON blobs(note);
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO blobs SELECT i, randomblob(i * 997 % 150000), printf('%.*c', i * 61 % 30000, 'n') FROM n;
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
         INSERT INTO keyed SELECT printf('%05d', i) || printf('%.*c', i * 113 % 25000, 'k'), i FROM n;
       DELETE FROM blobs WHERE id % 7 = 0;`,
      ]);
      expect(Number(execFileSync('sqlite3', [file, 'PRAGMA freelist_count;']).toString())).toBeGreaterThan(0);
      expect(execFileSync('sqlite3', [file, 'PRAGMA integrity_check;']).toString().trim()).toBe('ok');
      const wal = path.join(tempDir('sw-pc-'), 'odd-wal.db');
      fs.copyFileSync(file, wal);
      execFileSync('sqlite3', [wal, 'PRAGMA journal_mode = WAL;']);
      const readers: string[] = [];
      const fromFile = await allTreesDigestOfFile(file, '_schema_wizard_lock', undefined, (by) => readers.push(by));
      const throughEngine = await allTreesDigestOfFile(wal, '_schema_wizard_lock', undefined, (by) => readers.push(by));
      expect(readers).toEqual(['file', 'engine']);
      expect(fromFile.tables.blobs.rows).toBe(300 - 42);
      expect(fromFile.tables.keyed.rows).toBe(200);
      expect(throughEngine).toEqual(fromFile);
    },
  );

  it('the copying child refuses a path that now names another file, and leaves nothing', async () => {
    const file = await v1Database({ memories: 20 });
    const dest = path.join(tempDir('sw-pc-'), 'copy.db');
    const child = path.resolve('dist/core/proof/file-copy-child.js');
    const run = spawnSync(process.execPath, [child, file, dest, String(fs.statSync(file).size), '1:1'], { input: '', encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/another file is at the path now/);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('WAL mode: read through the engine, the rows still in the -wal file included', async () => {
    const file = await v1Database({ memories: 50 });
    const app = new Database(file);
    try {
      app.exec('PRAGMA journal_mode = WAL');
      app.exec('PRAGMA wal_autocheckpoint = 0');
      app.exec("INSERT INTO users (id, email, created_at, updated_at) VALUES ('in-the-wal', 'wal@example.com', 'c', 'u')");
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      // Through the engine nothing runs beside the copy, and the caller hashes and checks it after.
      const direct = path.join(tempDir('sw-pc-'), 'copy.db');
      let hooks = 0;
      const copy = await copyPages(
        file,
        direct,
        undefined,
        () => void hooks++,
        () => void hooks++,
      );
      expect({ readBy: copy.readBy, hooks, reread: copy.reread, ranWhileReadBack: copy.ranWhileReadBack }).toEqual({
        readBy: 'engine',
        hooks: 0,
        reread: undefined,
        ranWhileReadBack: false,
      });
      expect(copy.sha256).toBe(sha256(direct));
      const dir = tempDir('sw-pc-');
      const run = await runCli(['backup', '--db', file, '--backup-dir', dir, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const backup = run.json().backup.path as string;
      expect(JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8')).read).toEqual({ via: 'page-copy', pagesReadBy: 'engine' });
      expect(Number((await rowsOf(backup, "SELECT count(*) AS n FROM users WHERE id = 'in-the-wal'"))[0].n)).toBe(1);
      expect(execFileSync('sqlite3', [backup, 'PRAGMA journal_mode;']).toString().trim()).toBe('delete');
    } finally {
      app.close();
    }
  });

  it('a damaged file is refused in a sentence and nothing is kept: by quick_check on the copy, or by the digest beside the copy', async () => {
    const damaged = async (offset: (file: string) => number, bytes: number[]) => {
      const file = await v1Database({ memories: 400 });
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.from(bytes), 0, bytes.length, offset(file));
      fs.closeSync(fd);
      const dir = tempDir('sw-pc-');
      const run = await runCli(['backup', '--db', file, '--backup-dir', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
      expect(fs.readdirSync(dir)).toEqual([]);
      return run.stderr;
    };
    // The header's freelist count says one free page where there is none: only quick_check sees it.
    expect(await damaged(() => 36, [0, 0, 0, 1])).toMatch(/error: quick_check failed on the copy: .*\n?.*[Ff]reelist: size is 0 but should be 1/);
    // A leaf page of interactions claims 65535 cells: the record digest walks off its bytes.
    const leafAt = (file: string) => {
      const pageSize = Number(execFileSync('sqlite3', [file, 'PRAGMA page_size;']).toString().trim());
      const leaf = Number(
        execFileSync('sqlite3', [file, "SELECT max(pageno) FROM dbstat WHERE name = 'interactions' AND pagetype = 'leaf';"]).toString().trim(),
      );
      return (leaf - 1) * pageSize + 3;
    };
    expect(await damaged(leafAt, [0xff, 0xff])).toMatch(/error: .*memory\.db is damaged: page \d+ claims 65535 cells\./);
  });

  it('the CLI backup of a rollback-journal file says its pages were the file bytes', async () => {
    const file = await v1Database();
    const dir = tempDir('sw-pc-');
    const run = await runCli(['backup', '--db', file, '--backup-dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const backup = run.json().backup.path as string;
    const manifest = JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8'));
    expect(manifest.read).toEqual({ via: 'page-copy', pagesReadBy: 'file' });
    // The digest taken of the source while it was copied is the copy's own.
    expect(await allTreesDigestOfFile(backup, '_schema_wizard_lock')).toEqual(manifest.trees);
    expect(JSON.parse(fs.readFileSync(`${backup}.json`, 'utf8')).sha256).toBe(sha256(backup));
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(backup), `${path.basename(backup)}.json`, `${path.basename(backup)}.sha256`]);
  });
});
