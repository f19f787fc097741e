import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOrThrow } from './support/runs.js';
import { takeBackup } from '../src/core/backup/take.js';
import { restoreBackup } from '../src/core/backup/restore.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { resolveTarget } from '../src/core/db/target.js';
import { contentsOf, schemaOf, tempDir, v1Database, withSession, sqlOn, rowsOf } from './support/fixtures.js';
import { connectionFor, TARGETS, type TargetKind } from './support/targets.js';

async function backupOf(file: string, format: 'db' | 'sql', kind: TargetKind = 'file', dir = tempDir('sw-bk-')) {
  return withSession(file, async (s) => takeBackup(s.db, await takeSnapshot(s.db), { dir, format, toolVersion: 'test' }, s.emit), kind);
}

/** Where a restore goes: a new file, or an empty database behind the loopback server. */
async function restoreTarget(kind: TargetKind, file = path.join(tempDir(), 'restored.db')) {
  const c = await connectionFor(file, kind);
  return { file, target: resolveTarget({ db: c.db, authToken: c.authToken, allowMissingFile: true }) };
}

const COMBINATIONS: [format: 'db' | 'sql', kind: TargetKind][] = [
  ['db', 'file'],
  ['sql', 'file'],
  ['sql', 'remote'],
  ['sql', 'remote-ws'],
];

describe.each(COMBINATIONS)('%s backups of a %s database', (format, kind) => {
  it('are private, named like the guide, verified, with manifest and checksum', async () => {
    const file = await v1Database({ memories: 120 });
    const { ref, manifest } = await backupOf(file, format, kind);
    expect(path.basename(ref.path)).toMatch(new RegExp(`^backup-\\d{8}-\\d{6}\\.${format}$`));
    for (const f of [ref.path, `${ref.path}.json`, `${ref.path}.sha256`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(manifest.content.tables.memories.rows).toBe(120);
    expect(manifest.content.tables.learned_patterns.rows).toBe(12);
    expect(fs.readFileSync(`${ref.path}.sha256`, 'utf8')).toBe(`${ref.sha256}  ${path.basename(ref.path)}\n`);
    expect(fs.readdirSync(path.dirname(ref.path)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('round-trip exactly through restore into a new database', async () => {
    const file = await v1Database();
    const { ref } = await backupOf(file, format, kind);
    const restored = await restoreTarget(kind);
    await withSession(file, async (s) => restoreBackup({ from: ref.path, target: restored.target, replace: false, emit: s.emit }));
    expect(await contentsOf(restored.file)).toEqual(await contentsOf(file));
    expect(await schemaOf(restored.file)).toEqual(await schemaOf(file));
  });

  it('refuse a truncated or altered backup without touching the target', async () => {
    const file = await v1Database();
    const { ref } = await backupOf(file, format, kind);
    const target = await v1Database({ memories: 10, seed: 7 });
    const before = fs.readFileSync(target);
    const bytes = fs.readFileSync(ref.path);
    fs.writeFileSync(ref.path, bytes.subarray(0, bytes.length - 100));
    const { target: restoreInto } = await restoreTarget(kind, target);
    await expect(withSession(file, async (s) => restoreBackup({ from: ref.path, target: restoreInto, replace: true, emit: s.emit }))).rejects.toThrow(
      /does not match its manifest/,
    );
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    // Same length, one byte altered: refused too.
    const altered = Buffer.from(bytes);
    altered[Math.floor(altered.length / 2)] ^= 0xff;
    fs.writeFileSync(ref.path, altered);
    await expect(withSession(file, async (s) => restoreBackup({ from: ref.path, target: restoreInto, replace: true, emit: s.emit }))).rejects.toThrow(
      /truncated or altered/,
    );
    expect(fs.readFileSync(target).equals(before)).toBe(true);
  });
});

describe.each(TARGETS)('sql dumps (%s)', (kind) => {
  it('load in stock sqlite3 with the same schema and a working full-text index', async () => {
    const file = await v1Database();
    const { ref } = await backupOf(file, 'sql', kind);
    const loaded = path.join(tempDir(), 'stock.db');
    execFileSync('sqlite3', [loaded], { input: fs.readFileSync(ref.path) });
    expect(await schemaOf(loaded)).toEqual(await schemaOf(file));
    expect(await contentsOf(loaded)).toEqual(await contentsOf(file));
    const word = String((await rowsOf(file, 'SELECT title FROM memories WHERE id = 1'))[0].title).split(' ')[0];
    const hits = execFileSync('sqlite3', [loaded, `SELECT count(*) FROM memories_fts WHERE memories_fts MATCH '${word}'`])
      .toString()
      .trim();
    const expected = await rowsOf(file, `SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH '${word}'`);
    expect(Number(hits)).toBe(Number(expected[0].n));
    expect(Number(hits)).toBeGreaterThan(0);
    expect(execFileSync('sqlite3', [loaded, "INSERT INTO memories_fts(memories_fts) VALUES('integrity-check'); SELECT 'ok';"]).toString().trim()).toBe('ok');
  });

  it('keep exact storage classes: reals stay real, big integers and blobs survive', async () => {
    const file = await v1Database({ memories: 5 });
    await sqlOn(file, [
      'CREATE TABLE extra_values (a, b REAL, c BLOB, d TEXT)',
      "INSERT INTO extra_values VALUES (12.0, 3, X'00FF10', 'tab\there')",
      "INSERT INTO extra_values VALUES (9007199254740993, 1e300, NULL, 'it''s;\nmultiline')",
    ]);
    const { ref } = await backupOf(file, 'sql', kind);
    const { file: restored, target } = await restoreTarget(kind);
    await withSession(file, async (s) => restoreBackup({ from: ref.path, target, replace: false, emit: s.emit }));
    const q = 'SELECT typeof(a) AS ta, a, typeof(b) AS tb, b, hex(c) AS c, hex(d) AS d FROM extra_values ORDER BY rowid';
    expect(await rowsOf(restored, q)).toEqual(await rowsOf(file, q));
  });
});

describe.each(TARGETS)('automatic backup before apply (%s)', (kind) => {
  it('restores the v1 database exactly after both phases were applied', async () => {
    const file = await v1Database();
    const v1Rows = await contentsOf(file);
    const v1Schema = await schemaOf(file);
    const dir = tempDir('sw-auto-');
    const { backupProvider } = await import('../src/core/backup/take.js');
    const result = await withSession(
      file,
      (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: backupProvider({ dir, toolVersion: 'test' }) }),
      kind,
    );
    expect(result.backup?.path.startsWith(dir)).toBe(true);
    expect(result.backup?.format).toBe(kind === 'file' ? 'db' : 'sql');
    const journal = await rowsOf(file, 'SELECT backup FROM _schema_wizard_journal');
    expect(JSON.parse(String(journal[0].backup)).sha256).toBe(result.backup?.sha256);
    const { target } = await restoreTarget(kind, file);
    await withSession(file, (s) => restoreBackup({ from: result.backup!.path, target, replace: true, emit: s.emit }));
    expect(await schemaOf(file)).toEqual(v1Schema);
    expect(await contentsOf(file)).toEqual(v1Rows);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.partial'))).toEqual([]);
    // The database it replaced is kept, whole, for the operator (a file target only).
    const kept = fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.replaced-'));
    expect(kept).toHaveLength(kind === 'file' ? 1 : 0);
    if (kind === 'file') expect(Object.keys(await schemaOf(path.join(path.dirname(file), kept[0])))).toContain('idx_users_api_key_hash');
  });

  it('an unwritable backup directory stops apply before any write', async () => {
    const file = await v1Database();
    const before = fs.readFileSync(file);
    const dir = path.join(tempDir(), 'ro');
    fs.mkdirSync(dir, { mode: 0o500 });
    const { backupProvider } = await import('../src/core/backup/take.js');
    const isRoot = process.getuid?.() === 0;
    // root ignores directory permissions; a path under a regular file is unwritable for everyone.
    const badDir = isRoot ? path.join(file, 'sub') : dir;
    await expect(
      withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: backupProvider({ dir: badDir, toolVersion: 'test' }) }), kind),
    ).rejects.toThrow(/not writable/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('REAL values in dumps', () => {
  it('read back as the same double in libSQL and in stock sqlite3, where shortest decimals do not', async () => {
    const { realLiteral } = await import('../src/core/sql/real-literal.js');
    // 0.002877: SQLite parses the decimal one bit off; plus thirds, pi, tiny, huge, subnormal, negative.
    const values = [0.002877, 1 / 3, Math.PI, 1e-300, 5e-324, -2.5e-7, 1e300, -123456.789, 0.1, 12, 2 ** 60 + 2 ** 8];
    for (let i = 0; i < 300; i++) values.push(Math.round(((i * 7919) % 10007) * 10) / 1e6);
    const file = path.join(tempDir(), 'reals.db');
    const sql = ['CREATE TABLE r (i INTEGER PRIMARY KEY, v);', ...values.map((v, i) => `INSERT INTO r VALUES (${i}, ${realLiteral(v)});`)].join('\n');
    execFileSync('sqlite3', [file], { input: sql });
    const back = await rowsOf(file, 'SELECT v, typeof(v) AS t FROM r ORDER BY i');
    expect(back.map((r) => r.v)).toEqual(values);
    expect(back.every((r) => r.t === 'real')).toBe(true);
  });
});
