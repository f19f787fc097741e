/**
 * A measured content is reused only while nobody commits: the commit watch (PRAGMA data_version
 * on a connection of its own) and the wizard's check before each phase that relies on it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { changesSince, measureContent } from '../src/core/proof/content-proof.js';
import { backupProvider } from '../src/core/backup/take.js';
import type { Answer, Decider, Question } from '../src/core/window/questions.js';
import { runWindow } from '../src/core/window/run-window.js';
import { openSession, sqlOn, v1Database, withSession } from './support/fixtures.js';

describe('the commit watch', () => {
  it('says unchanged only while nobody commits: another process, this run, a file put in its place each count; a rolled-back write does not', async () => {
    const file = await v1Database();
    await withSession(file, async (s) => {
      const mark = s.db.commitMark();
      expect(mark).not.toBeNull();
      await s.db.query('SELECT count(*) FROM memories');
      expect(s.db.unchangedSince(mark)).toBe(true);

      // Another process (stock sqlite3) commits.
      execFileSync('sqlite3', [file, "UPDATE memories SET content = content || '!' WHERE rowid = (SELECT min(rowid) FROM memories)"]);
      expect(s.db.unchangedSince(mark)).toBe(false);

      // This run's own commit counts too: the watch is a connection of its own.
      const own = s.db.commitMark();
      expect(s.db.unchangedSince(own)).toBe(true);
      await s.db.execute("UPDATE memories SET content = content || '?' WHERE rowid = (SELECT min(rowid) FROM memories)");
      expect(s.db.unchangedSince(own)).toBe(false);

      // The smoke tests' writes are rolled back: nothing was committed.
      const beforeSmoke = s.db.commitMark();
      await s.db.rolledBack(async (execute) => execute('DELETE FROM memories'));
      expect(s.db.unchangedSince(beforeSmoke)).toBe(true);

      // A file put in its place (the same content, so only the inode tells).
      const beforeSwap = s.db.commitMark();
      const copy = path.join(path.dirname(file), 'copy.db');
      fs.copyFileSync(file, copy);
      fs.renameSync(copy, file);
      expect(s.db.unchangedSince(beforeSwap)).toBe(false);
      // The watch still holds the old inode: it never marks the new file as watched.
      expect(s.db.commitMark()).toBeNull();
    });
  });

  it('is closed with the client: nothing is reused after close', async () => {
    const file = await v1Database();
    const s = await openSession(file);
    const mark = s.db.commitMark();
    expect(s.db.unchangedSince(mark)).toBe(true);
    s.db.close();
    expect(s.db.unchangedSince(mark)).toBe(false);
    expect(s.db.commitMark()).toBeNull();
  });
});

describe('a measured content reused until a commit', () => {
  it('the same measurement comes back while nothing commits; a same-count edit by another process is measured again and found', async () => {
    const file = await v1Database();
    await withSession(file, async (s) => {
      const snapshot = await takeSnapshot(s.db);
      const first = await measureContent(s.db, snapshot);
      expect(await measureContent(s.db, snapshot)).toBe(first);
      expect((await changesSince(s.db, first)).changes).toEqual([]);

      execFileSync('sqlite3', [file, "UPDATE memories SET content = 'edited' WHERE rowid = (SELECT min(rowid) FROM memories)"]);
      const again = await measureContent(s.db, snapshot);
      expect(again).not.toBe(first);
      expect(again.tables.memories.rows).toBe(first.tables.memories.rows);
      expect((await changesSince(s.db, first)).changes).toEqual([expect.stringMatching(/^memories: rows changed \(\d+ rows, same count\)$/)]);
    });
  });
});

describe('the wizard before Phase 1', () => {
  const windowOn = async (file: string, atConfirm: () => Promise<void>) => {
    const session = await openSession(file, 'wizard', 'file', { busyTimeoutMs: 500 });
    const asked: Question[] = [];
    const decider: Decider = {
      by: 'operator',
      ask: async (q: Question): Promise<Answer> => {
        asked.push(q);
        if (q.kind === 'typed') await atConfirm();
        if (q.kind === 'content-changed') return 'quit';
        const answers: Partial<Record<Question['kind'], Answer>> = { typed: 'confirmed', operator: 'yes' };
        return answers[q.kind] ?? 'continue';
      },
    };
    try {
      const result = await runWindow(session, {
        decider,
        backup: backupProvider({ dir: path.join(path.dirname(file), 'backups'), toolVersion: 'test' }),
        closeDb: () => session.db.close(),
      });
      return { result, asked, events: session.events };
    } finally {
      session.db.close();
    }
  };

  it(
    'reuses the backup digest when nothing was written, and reads again (finding a same-count edit) when another process committed',
    { timeout: 60_000 },
    async () => {
      const quiet = await windowOn(await v1Database(), async () => undefined);
      expect(quiet.result.outcome).toBe('complete');
      expect(quiet.asked.map((q) => q.kind)).not.toContain('content-changed');

      const file = await v1Database();
      const edited = await windowOn(file, () => sqlOn(file, ["UPDATE users SET email = 'someone@else' WHERE rowid = (SELECT min(rowid) FROM users)"]));
      const question = edited.asked.find((q) => q.kind === 'content-changed');
      expect(question).toMatchObject({
        kind: 'content-changed',
        phase: 'phase1',
        changes: [expect.stringMatching(/^users: rows changed \(\d+ rows, same count\)$/)],
      });
      expect(edited.result.outcome).toBe('quit');
      expect(edited.result.applied).toEqual([]);
    },
  );
});
