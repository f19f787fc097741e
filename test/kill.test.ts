/**
 * SIGKILL at many points of apply, rollback, backup and restore on a database large enough for
 * a phase to take a while. Afterwards the file passes integrity_check, each phase is wholly
 * applied or not at all, every row is there, and running the command again converges.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { BIN, runCli } from './support/cli.js';
import { contentsOf, releaseFileHandles, rowsOf, tempDir, v1Database, withSession } from './support/fixtures.js';

let template = '';
let data: Record<string, string> = {};
let learned: Record<string, unknown[]> = {};
const DATA_TABLES = ['users', 'memories', 'entities', 'interactions', 'api_usage_tracking'];

/** Each table's rows as stock sqlite3 prints them, hashed: an oracle independent of our own code. */
function tableHashes(file: string, tables = DATA_TABLES): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tables) {
    const cols = t === 'users' ? 'id, email, name, organization, oauth_provider, oauth_id, is_active, metadata, created_at, updated_at' : '*';
    const text = execFileSync('sqlite3', ['-readonly', file, '.mode quote', `SELECT ${cols} FROM ${t} ORDER BY rowid`], { maxBuffer: 1 << 30 });
    out[t] = createHash('sha256').update(text).digest('hex');
  }
  return out;
}

beforeAll(async () => {
  template = await v1Database({ users: 20, memories: 1500, interactions: 30000, usage: 60000, embeddingDims: 8 });
  data = tableHashes(template);
  const all = await contentsOf(template);
  learned = { learned_patterns: all.learned_patterns, sqlite_sequence: all.sqlite_sequence };
}, 120_000);

/** Runs the CLI and SIGKILLs it `delay` ms after a stderr line matching `trigger` (or when it ends). */
async function killDuring(args: string[], trigger: RegExp, delay: number, cwd: string): Promise<{ killed: boolean; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  let stderr = '';
  let killed = false;
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  child.stderr.on('data', (chunk) => {
    const before = stderr;
    stderr += chunk;
    if (!trigger.test(before) && trigger.test(stderr)) {
      setTimeout(() => {
        killed = child.exitCode === null;
        child.kill('SIGKILL');
      }, delay);
    }
  });
  await closed;
  return { killed, stderr };
}

async function stateOf(file: string) {
  return withSession(file, async (s) => {
    const snap = await takeSnapshot(s.db);
    const integrity = String(Object.values((await s.db.query('PRAGMA integrity_check'))[0])[0]);
    return { p1: phaseProgress(snap, PHASE_1), p2: phaseProgress(snap, PHASE_2), integrity };
  });
}

async function expectWholeAndIntact(file: string, label: string) {
  const state = await stateOf(file);
  expect(state.integrity, label).toBe('ok');
  expect(state.p1.done === 0 || state.p1.done === state.p1.total, `${label}: Phase 1 ${state.p1.done}/${state.p1.total}`).toBe(true);
  expect(state.p2.done === 0 || state.p2.done === state.p2.total, `${label}: Phase 2 ${state.p2.done}/${state.p2.total}`).toBe(true);
  expect(tableHashes(file), label).toEqual(data);
  return state;
}

function copyOfTemplate(): { file: string; dir: string } {
  const dir = tempDir('sw-kill-');
  const file = path.join(dir, 'memory.db');
  fs.copyFileSync(template, file);
  return { file, dir };
}

describe('SIGKILL at many points', () => {
  it('during apply (backup, Phase 1, Phase 2): whole phases, every row, a re-run converges', { timeout: 300_000 }, async () => {
    const points: [RegExp, number][] = [
      [/Back up the database/, 30],
      [/applying Phase 1/, 0],
      [/applying Phase 1/, 15],
      [/applying Phase 1/, 40],
      [/applying Phase 1/, 90],
      [/applying Phase 2/, 0],
      [/applying Phase 2/, 5],
    ];
    const seen: string[] = [];
    for (const [trigger, delay] of points) {
      const { file, dir } = copyOfTemplate();
      const { killed } = await killDuring(['apply', '--db', file, '--yes'], trigger, delay, dir);
      const state = await expectWholeAndIntact(file, `${trigger} +${delay}`);
      seen.push(`${trigger.source} +${delay}ms: ${killed ? 'killed' : 'finished first'}, phase1 ${state.p1.done}/17, phase2 ${state.p2.done}/3`);
      const rerun = await runCli(['apply', '--db', file, '--yes'], { cwd: dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      const after = await stateOf(file);
      expect([after.p1.done, after.p2.done]).toEqual([17, 3]);
      const archived = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '_schema_wizard_archive_%'");
      expect(archived).toHaveLength(1);
      expect(fs.readdirSync(path.join(dir, 'backups')).filter((f) => f.endsWith('.partial'))).toEqual([]);
    }
    console.log(`kill during apply:\n  ${seen.join('\n  ')}`);
  });

  it('during rollback: whole phases, every row (learned_patterns too), a re-run converges', { timeout: 300_000 }, async () => {
    const seen: string[] = [];
    for (const [trigger, delay] of [
      [/rolling back Phase 2/, 0],
      [/rolling back Phase 1/, 0],
      [/rolling back Phase 1/, 30],
    ] as [RegExp, number][]) {
      const { file, dir } = copyOfTemplate();
      expect((await runCli(['apply', '--db', file, '--yes', '--no-backup'], { cwd: dir })).code).toBe(0);
      const { killed } = await killDuring(['rollback', '--db', file, '--yes', '--no-backup'], trigger, delay, dir);
      const state = await expectWholeAndIntact(file, `${trigger} +${delay}`);
      seen.push(`${trigger.source} +${delay}ms: ${killed ? 'killed' : 'finished first'}, phase1 ${state.p1.done}/17, phase2 ${state.p2.done}/3`);
      const rerun = await runCli(['rollback', '--db', file, '--yes', '--no-backup'], { cwd: dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      const back = await contentsOf(file);
      expect(back.learned_patterns).toEqual(learned.learned_patterns);
      expect(back.sqlite_sequence).toEqual(learned.sqlite_sequence);
    }
    console.log(`kill during rollback:\n  ${seen.join('\n  ')}`);
  });

  it('during backup and restore: the target is always a whole database, old or new', { timeout: 300_000 }, async () => {
    const { file, dir } = copyOfTemplate();
    for (const delay of [30, 200]) {
      await killDuring(['backup', '--db', file, '--format', 'sql'], /Back up the database/, delay, dir);
      await expectWholeAndIntact(file, `backup +${delay}`);
    }
    const backup = await runCli(['backup', '--db', file, '--json'], { cwd: dir });
    expect(backup.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'backups')).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const backupPath = backup.json().backup.path;
    // Change the target (apply), then restore over it, killing the restore at several points.
    const outcomes: string[] = [];
    for (const [trigger, delay] of [
      [/Rebuild /, 0],
      [/Rebuild /, 40],
      [/Rebuild /, 150],
      [/Swap the restored/, 0],
      [/Swap the restored/, 5],
    ] as [RegExp, number][]) {
      expect((await runCli(['apply', '--db', file, '--yes', '--no-backup'], { cwd: dir })).code).toBe(0);
      await releaseFileHandles();
      const { killed } = await killDuring(['restore', '--from', backupPath, '--db', file, '--yes'], trigger, delay, dir);
      const state = await expectWholeAndIntact(file, `restore +${delay}`);
      outcomes.push(`${trigger.source} +${delay}ms: ${killed ? 'killed' : 'finished first'}, phase1 ${state.p1.done}/17`);
      await releaseFileHandles();
      const rerun = await runCli(['restore', '--from', backupPath, '--db', file, '--yes', '--discard-newer'], { cwd: dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect((await stateOf(file)).p1.done).toBe(0);
    }
    console.log(`kill during restore:\n  ${outcomes.join('\n  ')}`);
  });
});
