/**
 * The maintenance window's recovery paths, headless with a scripted operator: what happens when
 * a phase fails because another writer holds the lock, and the operator then restores or rolls
 * back. Each must end with an ending (never a bare error), the database as said, no lock row.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupProvider } from '../src/core/backup/take.js';
import type { Answer, Decider, Question } from '../src/core/window/questions.js';
import { runWindow } from '../src/core/window/run-window.js';
import { contentsOf, openSession, releaseFileHandles, rowsOf, sqlOn, v1Database } from './support/fixtures.js';

/** The whole window on `file`, answered by `decider`, with automatic backups beside it; the session is closed after. */
async function windowWith(session: Awaited<ReturnType<typeof openSession>>, file: string, decider: Decider) {
  try {
    return await runWindow(session, {
      decider,
      backup: backupProvider({ dir: path.join(path.dirname(file), 'backups'), toolVersion: 'test' }),
      closeDb: () => session.db.close(),
    });
  } finally {
    session.db.close();
  }
}

/** Another writer: stock sqlite3 holding a write lock until released. */
function holdWriteLock(file: string) {
  const writer = spawn('sqlite3', [file], { stdio: ['pipe', 'ignore', 'ignore'] });
  writer.stdin.write('BEGIN IMMEDIATE;\nUPDATE users SET email = email WHERE 0;\n');
  const closed = new Promise((r) => writer.on('close', r));
  return {
    ready: new Promise((r) => setTimeout(r, 300)),
    release: async () => {
      writer.stdin.end('COMMIT;\n.quit\n');
      await closed;
    },
  };
}

/** `keepOpen`: a reader still has the file open when the restore runs (restore refuses that). */
async function failPhase2ThenChoose(choice: 'restore' | 'rollback-phase', { keepOpen = false } = {}) {
  const file = await v1Database();
  const original = await contentsOf(file);
  await releaseFileHandles();
  const session = await openSession(file, 'wizard', 'file', { busyTimeoutMs: 500 });
  let writer: ReturnType<typeof holdWriteLock> | null = null;
  const asked: string[] = [];
  const offered: (string | null)[] = [];
  let reader: ReturnType<typeof spawn> | null = null;
  const decider: Decider = {
    by: 'operator',
    ask: async (q: Question): Promise<Answer> => {
      asked.push(q.kind);
      const answer = async (): Promise<Answer> => {
        switch (q.kind) {
          case 'phase':
            if (q.phase === 'phase2') {
              writer = holdWriteLock(file);
              await writer.ready;
            }
            return 'continue';
          case 'failure':
            offered.push(q.phase);
            await writer?.release();
            writer = null;
            if (keepOpen) {
              reader = spawn('sqlite3', [file], { stdio: ['pipe', 'ignore', 'ignore'] });
              reader.stdin!.write('SELECT count(*) FROM users;\n');
              await new Promise((r) => setTimeout(r, 300));
            }
            return choice;
          case 'confirm-recovery':
            return 'confirmed';
          case 'typed':
            return 'confirmed';
          case 'operator':
            return 'yes';
          default:
            return 'continue';
        }
      };
      return answer();
    },
  };
  const result = await windowWith(session, file, decider);
  (reader as ReturnType<typeof spawn> | null)?.kill();
  return { file, original, result, asked, offered };
}

describe('recovery after a phase failed on a busy database', () => {
  it('Restore from backup succeeds once the other writer is gone: restored, the database as it was, no lock row', { timeout: 60_000 }, async () => {
    const { file, original, result, asked } = await failPhase2ThenChoose('restore');
    expect(asked).toContain('failure');
    expect(result.outcome).toBe('restored');
    expect(result.applied).toEqual([]);
    expect(await contentsOf(file)).toEqual(original);
    expect(
      await rowsOf(file, "SELECT * FROM sqlite_schema WHERE name = '_schema_wizard_lock'").then((t) =>
        t.length ? rowsOf(file, 'SELECT * FROM _schema_wizard_lock') : [],
      ),
    ).toEqual([]);
  });

  it('after Phase 2 failed (rolled back by SQLite), the roll back offered is Phase 1, and it is said and done as such', { timeout: 60_000 }, async () => {
    const { file, original, result, offered } = await failPhase2ThenChoose('rollback-phase');
    expect(offered).toEqual(['phase1']);
    expect(result.outcome).toBe('rolled-back');
    expect(result.message).toMatch(/^Phase 1 rolled back: the database is as it was before this run\./);
    expect(result.applied).toEqual([]);
    expect(await contentsOf(file)).toEqual(original);
  });

  it('a restore that fails ends as a failure saying what stays applied, with its end (never a bare error)', { timeout: 60_000 }, async () => {
    const { result } = await failPhase2ThenChoose('restore', { keepOpen: true });
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/^The restore failed and changed nothing \(Phase 1 stays applied\): .*is open in another process/);
    expect(result.applied).toEqual(['phase1']);
  });
});

describe('rows changed at a prompt, and the operator goes on', () => {
  it(
    'the phases are proven against the content the operator accepted: deleted rows do not fail the verification, and the warning stands',
    { timeout: 60_000 },
    async () => {
      const file = await v1Database();
      const session = await openSession(file, 'wizard', 'file', { busyTimeoutMs: 500 });
      const asked: string[] = [];
      const decider: Decider = {
        by: 'operator',
        ask: async (q: Question): Promise<Answer> => {
          asked.push(q.kind);
          if (q.kind === 'phase' && q.phase === 'phase2')
            await sqlOn(file, ['DELETE FROM interactions WHERE id IN (SELECT id FROM interactions ORDER BY id LIMIT 3)']);
          const answers: Partial<Record<Question['kind'], Answer>> = { typed: 'confirmed', operator: 'yes', 'content-changed': 'continue' };
          return answers[q.kind] ?? 'continue';
        },
      };
      const result = await windowWith(session, file, decider);
      expect(asked).toContain('content-changed');
      expect(result.message).toBe('Migration complete.');
      expect(result.outcome).toBe('complete');
      const warnings = session.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
      expect(
        warnings.some((w) =>
          /^Changed since the backup \(.*\), and accepted: interactions: \d+ rows now, \d+ in the backup\. A restore from the backup would undo these changes\.$/.test(
            w,
          ),
        ),
      ).toBe(true);
    },
  );
});

describe('a restore goes back to before the first write', () => {
  it('after a new backup taken between the phases, Restore uses the backup taken before Phase 1, and says so truly', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    const original = await contentsOf(file);
    await releaseFileHandles();
    const session = await openSession(file, 'wizard', 'file', { busyTimeoutMs: 500 });
    let writer: ReturnType<typeof holdWriteLock> | null = null;
    const decider: Decider = {
      by: 'operator',
      ask: async (q: Question): Promise<Answer> => {
        if (q.kind === 'phase' && q.phase === 'phase2')
          await sqlOn(file, ['DELETE FROM interactions WHERE id IN (SELECT id FROM interactions ORDER BY id LIMIT 3)']);
        if (q.kind === 'content-changed') {
          // The new backup (with Phase 1 in it) is taken; then another writer makes Phase 2 fail.
          writer = holdWriteLock(file);
          await writer.ready;
          return 'new-backup';
        }
        if (q.kind === 'failure') {
          await (writer as ReturnType<typeof holdWriteLock> | null)?.release();
          return 'restore';
        }
        const answers: Partial<Record<Question['kind'], Answer>> = { typed: 'confirmed', operator: 'yes', 'confirm-recovery': 'confirmed' };
        return answers[q.kind] ?? 'continue';
      },
    };
    const result = await windowWith(session, file, decider);
    const backups = session.events.flatMap((e) => (e.type === 'backup-taken' ? [e.backup.path] : []));
    expect(backups).toHaveLength(2);
    expect(result.outcome).toBe('restored');
    expect(result.message).toContain(`Restored from ${backups[0]}:`);
    // Back to v1 exactly: Phase 1 undone with the rest (the rows deleted at the prompt come back too).
    expect(await contentsOf(file)).toEqual(original);
  });
});
