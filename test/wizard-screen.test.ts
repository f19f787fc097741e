/**
 * The wizard's screen as an operator meets it in a real terminal (tmux): small terminals keep
 * what was printed before the wizard, SQL is shown in full, the width follows a resize, and the
 * recoveries (roll back, restore) are confirmed and end with what really happened.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { contentsOf, releaseFileHandles, rowsOf, tempDir, v1Database, withSession } from './support/fixtures.js';
import { acceptDefaultsUntil, startWizard, tmux, waitForScreen, wholeHistory } from './support/tmux.js';

const BEFORE = `seq -f 'line %g printed before the wizard' 1 30`;

/** Ink wraps long text itself (hard breaks, even inside a name): compare without whitespace or box borders. */
const flat = (text: string) => text.replace(/[│\s]+/g, '');

async function phasesDone(file: string) {
  return withSession(file, async (s) => {
    const snap = await takeSnapshot(s.db);
    return [phaseProgress(snap, PHASE_1).done, phaseProgress(snap, PHASE_2).done];
  });
}

describe('the wizard screen in a real terminal (tmux)', () => {
  for (const [cols, rows] of [
    [80, 24],
    [60, 20],
  ] as const) {
    it(
      `at ${cols}x${rows} the lines printed before the wizard are still in the scrollback at the end, and the SQL is there in full`,
      { timeout: 120_000 },
      async () => {
        const file = await v1Database();
        const pane = startWizard(file, tempDir('sw-tmux-'), { cols, rows, before: BEFORE });
        try {
          await acceptDefaultsUntil(pane, /Apply Phase 1 now\?/);
          await pane.choose('View SQL');
          // Printed above the prompt, and the answers start again at Continue (View SQL is gone).
          await waitForScreen(pane.session, (s) => /❯ Continue/.test(s) && !s.includes('View SQL'), 'the SQL printed and the prompt again');
          await acceptDefaultsUntil(pane, /(?!)/);
          await pane.waitForExit();
          expect(pane.exitCode()).toBe('0');
          const history = wholeHistory(pane.session);
          for (let i = 1; i <= 30; i++) expect(history).toContain(`line ${i} printed before the wizard`);
          // Each statement whole (wrapped to the width, compared without the breaks), never cut with "…".
          expect(flat(history)).toMatch(/\d+\.ALTERTABLElearned_patternsRENAMETO_schema_wizard_archive_r\w+_learned_patterns;/);
          expect(flat(history)).toContain(flat('CREATE INDEX idx_usage_user_provider_date ON api_usage_tracking(user_id, api_provider, date);'));
          // The only "…" is a backup's digest abbreviated beside its path (in full in the manifest and the report).
          expect(
            history
              .split('\n')
              .filter((l) => l.includes('…'))
              .every((l) => /sha256\s*[0-9a-f]{12}…/.test(flat(l).replace('sha256', 'sha256 '))),
          ).toBe(true);
          // Printed once each: no frame of the live area was left behind.
          expect(history.match(/✔ Backup database/g)).toHaveLength(1);
          expect(history.match(/Migration complete/g)).toHaveLength(1);
          const raw = tmux('capture-pane', '-p', '-S', '-', '-E', '-', '-t', pane.session);
          expect(raw.split('\n').every((line) => line.trimEnd().length <= cols)).toBe(true);
        } finally {
          pane.kill();
        }
        expect(await phasesDone(file)).toEqual([17, 3]);
      },
    );
  }

  it('the width follows a resize: after the terminal shrinks to 60 columns, nothing is drawn wider', { timeout: 120_000 }, async () => {
    const file = await v1Database();
    const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 120, rows: 40 });
    try {
      await acceptDefaultsUntil(pane, /Apply Phase 1 now\?/);
      tmux('resize-window', '-t', pane.session, '-x', '60', '-y', '30');
      await waitForScreen(pane.session, (s) => s.split('\n').every((l) => l.trimEnd().length <= 60), 'the pane at 60 columns');
      await acceptDefaultsUntil(pane, /(?!)/);
      await pane.waitForExit();
      expect(pane.exitCode()).toBe('0');
      const history = wholeHistory(pane.session);
      const end = history.slice(history.lastIndexOf('╭'));
      expect(end).toContain('Migration complete');
      // The end box was drawn after the resize: its border fits the 60 columns.
      expect(
        end
          .split('\n')
          .filter((l) => /[╭╰]/.test(l))
          .every((l) => l.trimEnd().length <= 60),
      ).toBe(true);
      expect(
        end
          .split('\n')
          .filter((l) => /[╭╰]/.test(l))
          .some((l) => l.trimEnd().length >= 50),
      ).toBe(true);
    } finally {
      pane.kill();
    }
  });

  it('Roll back is confirmed (Back is the default), runs as its own step and ends saying the database is as it was: exit 6', { timeout: 120_000 }, async () => {
    const file = await v1Database();
    const original = await contentsOf(file);
    const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 100, rows: 40 });
    try {
      await acceptDefaultsUntil(pane, /Apply Phase 2 now\?/);
      await pane.choose('Roll back (Phase 1)');
      const confirm = await waitForScreen(pane.session, (s) => s.includes('Roll back now?') && s.includes('Lost:'), 'the confirmation');
      expect(flat(confirm)).toContain(flat('Roll back Phase 1: each phase is undone from the journal in one atomic write'));
      expect(flat(confirm)).toContain(flat('Lost: No row is lost.'));
      expect(confirm).toMatch(/❯ Back \(do nothing yet\)/);
      // Back returns to the phase question; nothing ran.
      tmux('send-keys', '-t', pane.session, 'Enter');
      await waitForScreen(pane.session, (s) => /Apply Phase 2 now\?/.test(s) && /❯ Continue/.test(s), 'the phase question again');
      await pane.choose('Roll back (Phase 1)');
      await waitForScreen(pane.session, (s) => s.includes('Roll back now?'), 'the confirmation');
      await pane.choose('Yes, roll back');
      await pane.waitForExit();
      const history = wholeHistory(pane.session);
      expect(flat(history)).toContain(flat('✔ Roll back'));
      expect(history).toMatch(/✔ Roll back.*\n\s+Phase 1 rolled back\n/);
      const end = history.slice(history.lastIndexOf('╭'));
      expect(end).toContain('Migration rolled back');
      expect(flat(end)).toContain(flat('Phase 1 rolled back: the database is as it was before this run.'));
      expect(end).toContain('Phases applied by this run: none');
      expect(pane.exitCode()).toBe('6');
    } finally {
      pane.kill();
    }
    expect(await phasesDone(file)).toEqual([0, 0]);
    expect(await contentsOf(file)).toEqual(original);
  });

  it('Restore after a failure is confirmed with what it loses, runs as its own step and ends restored: exit 6', { timeout: 120_000 }, async () => {
    const file = await v1Database();
    const original = await contentsOf(file);
    // The restore refuses a database another process holds open: this test's reader included.
    await releaseFileHandles();
    const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 100, rows: 40 });
    try {
      await acceptDefaultsUntil(pane, /Apply Phase 2 now\?/);
      // Skipping Phase 2 leaves plaintext lookups in place: the smoke tests then fail.
      await pane.choose('Skip this phase');
      await acceptDefaultsUntil(pane, /What now\?/);
      await pane.choose('Restore from backup');
      const confirm = await waitForScreen(pane.session, (s) => s.includes('Restore from the backup now?') && s.includes('Lost:'), 'the confirmation');
      expect(flat(confirm)).toContain(flat(`Replace ${file} with the backup`));
      expect(flat(confirm)).toContain(flat('Lost: Everything written since the backup: what this run applied (Phase 1)'));
      expect(confirm).toMatch(/❯ Back \(do nothing yet\)/);
      await pane.choose('Yes, restore');
      await pane.waitForExit();
      const history = wholeHistory(pane.session);
      expect(flat(history)).toMatch(/✔Restorefromthebackup\(\d+\.\ds\)\S+\.dbrestoredandverified/);
      const end = history.slice(history.lastIndexOf('╭'));
      expect(end).toContain('Database restored from the backup');
      expect(end).toContain('Phases applied by this run: none');
      expect(pane.exitCode()).toBe('6');
    } finally {
      pane.kill();
    }
    expect(await phasesDone(file)).toEqual([0, 0]);
    expect(await contentsOf(file)).toEqual(original);
    expect(fs.existsSync(file)).toBe(true);
  });

  it(
    "names the waits while they last: another writer's lock (then goes on once it is released), and a host that does not answer",
    { timeout: 120_000 },
    async () => {
      const file = await v1Database();
      await releaseFileHandles();
      // Another writer: stock sqlite3 holds a write lock until its stdin says COMMIT.
      const writer = spawn('sqlite3', [file], { stdio: ['pipe', 'ignore', 'inherit'] });
      writer.stdin.write('BEGIN IMMEDIATE;\nUPDATE users SET email = email WHERE 0;\n');
      await new Promise((r) => setTimeout(r, 300));
      const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 120, rows: 30, args: '--busy-timeout 20s' });
      try {
        const waiting = await waitForScreen(pane.session, (s) => s.includes("Waiting for another writer's lock"), 'the lock wait named');
        expect(flat(waiting)).toContain(flat(`Waiting for another writer's lock on ${file} (gives up in 20 s)…`));
        // The elapsed time moves while the native driver waits in the core's thread.
        const elapsed = (s: string) => /\(gives up in 20 s\)…\s+(\d+\.\d) s/.exec(s)?.[1];
        const first = elapsed(waiting);
        expect(first).toBeDefined();
        await waitForScreen(pane.session, (s) => elapsed(s) !== undefined && elapsed(s) !== first, 'the wait time to move');
        writer.stdin.end('COMMIT;\n.quit\n');
        await waitForScreen(pane.session, (s) => s.includes('Dry run done') && !s.includes("Waiting for another writer's lock"), 'the run going on');
        tmux('send-keys', '-t', pane.session, 'C-c');
        await waitForScreen(pane.session, (s) => s.includes('Quit? The database stays as it is'), 'the quit question');
        await pane.choose('Quit (state kept)');
        await pane.waitForExit();
        expect(pane.exitCode()).toBe('4');
      } finally {
        pane.kill();
        writer.kill();
      }

      const silent = net.createServer(() => undefined); // accepts, then says nothing
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      const remote = startWizard(`http://127.0.0.1:${port}`, tempDir('sw-tmux-'), {
        cols: 120,
        rows: 30,
        args: `--auth-token ${'x'.repeat(20)} --connect-timeout 3s`,
      });
      try {
        const screen = await waitForScreen(remote.session, (s) => s.includes('Connecting to'), 'the connect wait named');
        expect(screen).toContain(`Connecting to http://127.0.0.1:${port} (gives up in 3 s)…`);
        const end = await remote.waitForExit(30_000);
        expect(end).toMatch(/no answer before the timeout/);
        expect(remote.exitCode()).toBe('1');
      } finally {
        remote.kill();
        silent.close();
      }
    },
  );

  it('plaintext keys are a decision at Phase 2: the default hashes them, and no user is left locked out', { timeout: 120_000 }, async () => {
    const file = await v1Database({ plaintextKeys: 3 });
    const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 100, rows: 40 });
    try {
      const asked = await acceptDefaultsUntil(pane, /Plaintext API keys:/);
      const screen = await waitForScreen(
        pane.session,
        (s) => flat(s).includes(flat('cannot authenticate unless the keys are hashed')),
        'the warning above the question',
      );
      expect(flat(screen)).toContain(flat('3 users hold an API key in users.api_key that is not a SHA-256 hex digest'));
      const options = asked.slice(asked.indexOf('Plaintext API keys:'));
      expect(options).toMatch(/❯ Hash 3 keys now \(undone only from the backup\)\n\s+Apply and leave 3 users unable to authenticate\n\s+Skip Phase 2/);
      await acceptDefaultsUntil(pane, /(?!)/);
      await pane.waitForExit();
      expect(pane.exitCode()).toBe('0');
      const end = wholeHistory(pane.session);
      expect(end.slice(end.lastIndexOf('╭'))).toContain('Migration complete');
    } finally {
      pane.kill();
    }
    const keys = await rowsOf(file, 'SELECT api_key_hash AS k FROM users');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((r) => /^[0-9a-f]{64}$/.test(String(r.k)))).toBe(true);
  });

  it(
    'SIGTERM or SIGHUP (even twice) while a question waits ends the run at once: no answer needed, the end box, the lock released, exit 143 / 129',
    { timeout: 120_000 },
    async () => {
      for (const [signal, code] of [
        ['SIGTERM', '143'],
        ['SIGHUP', '129'],
      ] as const) {
        const file = await v1Database();
        const pane = startWizard(file, tempDir('sw-tmux-'), { cols: 100, rows: 40 });
        try {
          await acceptDefaultsUntil(pane, /Apply Phase 1 now\?/);
          const shell = tmux('display-message', '-p', '-t', pane.session, '#{pane_pid}').trim();
          const node = execFileSync('pgrep', ['-P', shell]).toString().trim().split('\n')[0];
          process.kill(Number(node), signal);
          // A second one (a service manager's retry, a closing terminal) changes nothing.
          await new Promise((r) => setTimeout(r, 10));
          process.kill(Number(node), signal);
          await pane.waitForExit(30_000);
          expect(pane.exitCode()).toBe(code);
          const history = wholeHistory(pane.session);
          expect(history.slice(history.lastIndexOf('╭'))).toContain('Migration interrupted');
          // The screen said it, in its own frame: no raw line written over it.
          expect(history).not.toContain(`Interrupted by ${signal}`);
        } finally {
          pane.kill();
        }
        expect(
          await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name = '_schema_wizard_lock'").then(async (t) =>
            t.length ? rowsOf(file, 'SELECT * FROM _schema_wizard_lock') : [],
          ),
        ).toEqual([]);
        expect(await phasesDone(file)).toEqual([0, 0]);
      }
    },
  );

  it(
    'at 40x12, with a long path full of spaces and %, a mistyped name never pushes the live area to the top: the scrollback keeps what came before',
    { timeout: 120_000 },
    async () => {
      const deep = path.join(tempDir('sw-tmux-'), 'very long directory name with spaces', '100% sure', 'deep', 'deeper', 'another level with 50% more');
      fs.mkdirSync(deep, { recursive: true });
      const file = await v1Database({}, deep);
      const target = path.join(deep, 'my db 100%.db');
      fs.renameSync(file, target);
      const pane = startWizard(target, tempDir('sw-tmux-'), { cols: 40, rows: 12, before: BEFORE });
      try {
        await acceptDefaultsUntil(pane, /Type my db 100%\.db to confirm/);
        // A long paste stops growing at the name and a margin; the mismatch is said.
        tmux('send-keys', '-t', pane.session, '-l', 'x'.repeat(400));
        await waitForScreen(pane.session, (s) => s.includes('› xxxx'), 'the paste echoed');
        tmux('send-keys', '-t', pane.session, 'Enter');
        await waitForScreen(pane.session, (s) => flat(s).includes(flat('That is not my db 100%.db')), 'the mismatch');
        // Fast Backspaces (one read of several DELs) each erase; none becomes part of the text.
        tmux('send-keys', '-t', pane.session, ...Array<string>(40).fill('BSpace'));
        await waitForScreen(pane.session, (s) => /› *$/m.test(s), 'the text erased');
        await acceptDefaultsUntil(pane, /(?!)/);
        await pane.waitForExit();
        expect(pane.exitCode()).toBe('0');
        const history = wholeHistory(pane.session);
        for (let i = 1; i <= 30; i++) expect(history).toContain(`line ${i} printed before the wizard`);
        expect(flat(history)).toContain(flat(`The next step writes to ${target}.`));
      } finally {
        pane.kill();
      }
      expect(await phasesDone(target)).toEqual([17, 3]);
    },
  );
});
