/**
 * The unattended window measures the content once (with its backup) and compares it once,
 * after the last phase: before each phase only the row counts are compared, and Phase 1's
 * content comparison is owed to Phase 2's verification, or made at any stop before it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupProvider } from '../src/core/backup/take.js';
import type { Check } from '../src/core/model/index.js';
import { type Answer, type Decider, type Question, YES_DECIDER } from '../src/core/window/questions.js';
import { runWindow } from '../src/core/window/run-window.js';
import { openSession, releaseFileHandles, schemaOf, sqlOn, v1Database } from './support/fixtures.js';

type TestSession = Awaited<ReturnType<typeof openSession>>;

/** --yes's answers, with `before` run first (another process writing at that moment). */
function unattended(before: (q: Question) => Promise<void> = async () => undefined): Decider {
  return {
    by: '--yes',
    ask: async (q: Question): Promise<Answer> => {
      await before(q);
      return YES_DECIDER.ask(q);
    },
  };
}

async function windowOn(file: string, decider: Decider): Promise<{ session: TestSession; result: Awaited<ReturnType<typeof runWindow>> }> {
  const session = await openSession(file, 'wizard', 'file', { busyTimeoutMs: 500 });
  try {
    const result = await runWindow(session, {
      decider,
      backup: backupProvider({ dir: path.join(path.dirname(file), 'backups'), toolVersion: 'test' }),
      closeDb: () => session.db.close(),
    });
    return { session, result };
  } finally {
    session.db.close();
  }
}

function dataChecksShown(session: TestSession, item: 'verify1' | 'verify2'): Check[] {
  return session.events.flatMap((e) => (e.type === 'verified' && e.item === item ? e.checks.filter((c) => c.phase === 'data') : []));
}

const contentChecks = (session: TestSession) => session.events.filter((e) => e.type === 'waiting' && e.wait?.kind === 'content-check').length;

describe('the unattended window compares the content once', () => {
  it('Phase 1 is owed to Phase 2, whose verification compares both phases with the backup', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    const { session, result } = await windowOn(file, unattended());
    expect(result.outcome).toBe('complete');
    const first = dataChecksShown(session, 'verify1');
    expect(first.map((c) => [c.name, c.status])).toEqual([['rows and content kept (Phase 1)', 'pending']]);
    expect(first[0].detail).toMatch(/^compared once, after the last phase/);
    const last = dataChecksShown(session, 'verify2');
    expect(last.map((c) => [c.name, c.status])).toEqual([
      ['rows and content kept (Phase 1)', 'pass'],
      ['rows and content kept (Phase 2)', 'pass'],
    ]);
    // The check before each phase still runs (and says so on screen); it compares counts.
    expect(contentChecks(session)).toBe(2);
  });

  it('a same-count edit made after the backup fails the last verification, naming the table', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    const decider = unattended(async (q) => {
      if (q.kind === 'typed') await sqlOn(file, ["UPDATE memories SET content = content || ' (edited)' WHERE id = (SELECT min(id) FROM memories)"]);
    });
    const { session, result } = await windowOn(file, decider);
    expect(result.outcome).toBe('failed');
    expect(result.verificationFailed).toBe(true);
    expect(result.applied).toEqual(['phase1', 'phase2']);
    const phase1 = dataChecksShown(session, 'verify2').find((c) => c.name === 'rows and content kept (Phase 1)')!;
    expect(phase1.status).toBe('fail');
    expect(phase1.detail).toMatch(/content changed since .*\(memories: \d+ -> \d+ rows\): something wrote to the database during the maintenance window/);
  });

  it('a row deleted after the backup stops the window before Phase 1, by its count, with nothing changed', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    const decider = unattended(async (q) => {
      if (q.kind === 'typed') await sqlOn(file, ['DELETE FROM interactions WHERE id = (SELECT max(id) FROM interactions)']);
    });
    const schema = await schemaOf(file);
    await releaseFileHandles();
    const { result } = await windowOn(file, decider);
    expect(await schemaOf(file)).toEqual(schema);
    expect(result.outcome).toBe('quit');
    expect(result.message).toMatch(
      /^Quit before Phase 1: rows were written since the backup \(.*\) \(interactions: (\d+) rows now, (\d+) in the backup\); nothing was changed\.$/,
    );
    expect(result.applied).toEqual([]);
  });

  it(
    'a Phase 1 applied by an earlier run, and edited by the application since, warns as before: strict only for what this run applied',
    { timeout: 60_000 },
    async () => {
      const file = await v1Database();
      const { spawnSync } = await import('node:child_process');
      const bin = path.join(import.meta.dirname, '..', 'bin', 'schema-wizard.js');
      const earlier = spawnSync(process.execPath, [bin, 'apply', '--phase', '1', '--yes', '--db', file, '--backup-dir', path.join(path.dirname(file), 'b1')], {
        encoding: 'utf8',
      });
      expect(earlier.status).toBe(0);
      await sqlOn(file, ["UPDATE memories SET content = content || ' (edited)' WHERE id = (SELECT min(id) FROM memories)"]);
      const { session, result } = await windowOn(file, unattended());
      expect(result.outcome).toBe('complete');
      // Phase 1 was not applied by this run: its verification warns of the application's write, as `verify` does.
      const phase1 = dataChecksShown(session, 'verify1').find((c) => c.name === 'rows and content kept (Phase 1)')!;
      expect(phase1.status).toBe('warn');
      expect(phase1.detail).toMatch(/^no rows lost, but content changed since .*\(memories: \d+ -> \d+ rows\): the application has written since/);
      const checks = session.events.flatMap((e) => (e.type === 'verified' && e.item === 'verify2' ? e.checks : []));
      expect(checks.find((c) => c.name === 'rows and content kept (Phase 2)')?.status).toBe('pass');
    },
  );

  it('a stop before the last verification makes the owed comparison and says what it found', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    // Phase 2's write cannot get the database: another writer holds it past the busy timeout.
    const { spawn } = await import('node:child_process');
    let writer: ReturnType<typeof spawn> | null = null;
    const decider = unattended(async (q) => {
      if (q.kind === 'phase' && q.phase === 'phase2') {
        writer = spawn('sqlite3', [file], { stdio: ['pipe', 'ignore', 'ignore'] });
        writer.stdin!.write('BEGIN IMMEDIATE;\nUPDATE users SET email = email WHERE 0;\n');
        await new Promise((r) => setTimeout(r, 300));
      }
      if (q.kind === 'failure' && writer) {
        const closed = new Promise((r) => writer!.on('close', r));
        writer.stdin!.end('COMMIT;\n.quit\n');
        await closed;
      }
    });
    const { session, result } = await windowOn(file, decider);
    expect(result.outcome).toBe('failed');
    expect(result.applied).toEqual(['phase1']);
    expect(result.message).toMatch(/ The content of every table is equal to the proof measured before the first write\.$/);
    const settled = session.events.filter((e) => e.type === 'rows-checked' && e.detail.startsWith('content of every table equal'));
    expect(settled).toHaveLength(1);
  });
});
