/**
 * The real CLI in a real pseudo-terminal: tmux runs `schema-wizard`, the test reads the screen
 * with capture-pane and answers with send-keys, through the whole checklist.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { BIN } from './support/cli.js';
import { sqlOn, tempDir, v1Database, withSession } from './support/fixtures.js';
import { killSession, sendUntilChanged, tmux, waitForScreen } from './support/tmux.js';

describe('the wizard in a real terminal (tmux)', () => {
  it('goes through the whole checklist to Migration complete', { timeout: 120_000 }, async () => {
    const file = await v1Database();
    const dir = tempDir('sw-tmux-');
    const exitFile = path.join(dir, 'exit-code');
    const session = `sw-${process.pid}-${Date.now()}`;
    const command = `env -u CI NO_COLOR=1 ${process.execPath} ${BIN} --db ${file} --report-dir ${dir} --backup-dir ${path.join(dir, 'backups')}; echo $? > ${exitFile}; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '50', command);
    try {
      const seen: string[] = [];
      for (let step = 0; step < 40; step++) {
        const screen = await waitForScreen(session, (s) => /Migration complete/.test(s) || /❯ |Type \S+ to confirm/.test(s), 'a prompt');
        if (/╭[\s\S]*Migration complete/.test(screen) || fs.existsSync(exitFile)) break;
        let current = screen;
        const prompt = /Type (\S+) to confirm/.exec(screen);
        if (prompt) {
          seen.push('typed');
          tmux('send-keys', '-t', session, '-l', prompt[1]);
          current = await waitForScreen(session, (s) => s.includes(`› ${prompt[1]}`), 'the typed name');
        } else {
          seen.push(/Apply Phase (\d) now/.exec(screen)?.[0] ?? 'prompt');
        }
        // The next prompt (or the end) replaces this one; a key sent the moment a prompt
        // appears can arrive before it listens, so it is sent again if nothing changed.
        await sendUntilChanged(session, 'Enter', current);
      }
      const end = await waitForScreen(session, () => fs.existsSync(exitFile), 'the process to exit');
      expect(end).toContain('Migration complete');
      expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('0');
      expect(seen).toContain('typed');
      expect(seen).toContain('Apply Phase 1 now');
      expect(seen).toContain('Apply Phase 2 now');
      // The width follows the terminal: no line wider than its 100 columns, and wide lines use them.
      expect(end.split('\n').every((line) => line.trimEnd().length <= 100)).toBe(true);
      expect(end.split('\n').some((line) => line.trimEnd().length > 80)).toBe(true);
    } finally {
      killSession(session);
    }
    await withSession(file, async (s) => {
      const snap = await takeSnapshot(s.db);
      expect(phaseProgress(snap, PHASE_1).done).toBe(17);
      expect(phaseProgress(snap, PHASE_2).done).toBe(3);
    });
    const reports = fs.readdirSync(dir).filter((f) => f.startsWith('schema-wizard-report-'));
    expect(reports.sort().map((f) => path.extname(f))).toEqual(['.json', '.md']);
    expect(fs.statSync(path.join(dir, reports[0])).mode & 0o777).toBe(0o600);
  });

  it(
    'Ctrl+C at a prompt asks before quitting, then exits 4 (quit before any write) with nothing applied and no backup taken',
    { timeout: 60_000 },
    async () => {
      const file = await v1Database();
      const dir = tempDir('sw-tmux-');
      const exitFile = path.join(dir, 'exit-code');
      const session = `sw-${process.pid}-${Date.now()}-c`;
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '100',
        '-y',
        '50',
        `env -u CI ${process.execPath} ${BIN} --db ${file} --report-dir ${dir} --backup-dir ${path.join(dir, 'b')}; echo $? > ${exitFile}; sleep 60`,
      );
      try {
        const dryRun = await waitForScreen(session, (s) => s.includes('Dry run done'), 'the dry-run prompt');
        // Each key is sent again if the screen did not change: a prompt listens from just
        // after its first paint, so a key sent the moment it appears can be dropped.
        await sendUntilChanged(session, 'C-c', dryRun);
        const question = await waitForScreen(session, (s) => s.includes('Quit? The database stays as it is'), 'the quit question');
        await sendUntilChanged(session, 'Down', question);
        const quit = await waitForScreen(session, (s) => /❯ Quit \(state kept\)/.test(s), 'Quit highlighted');
        await sendUntilChanged(session, 'Enter', quit);
        const end = await waitForScreen(session, () => fs.existsSync(exitFile) && fs.readFileSync(exitFile, 'utf8').trim() !== '', 'the exit');
        // Quit at a prompt, before any write: the operator's choice, exit 4 (README: exit codes).
        expect(end).toContain('Migration stopped by the operator');
        expect(end).toContain('no backup was taken');
        expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('4');
      } finally {
        killSession(session);
      }
      await withSession(file, async (s) => expect(phaseProgress(await takeSnapshot(s.db), PHASE_1).done).toBe(0));
    },
  );

  it(
    'the screen stays live while the core works (it runs in a worker thread): repaints and Ctrl+C during the backup and during Phase 1 of a 500 MB database; a stop during verification asks nothing more',
    { timeout: 240_000 },
    async () => {
      const file = await v1Database({ users: 20, memories: 16_000, embeddingDims: 1536 });
      // 1.5 M interactions, written by stock sqlite3 in a few seconds: Phase 1's index on them
      // then takes long enough (about 2 s here) to watch the screen while it builds.
      execFileSync('sqlite3', [
        file,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) INSERT INTO interactions (user_id, user_prompt, assistant_response, created_at, updated_at) SELECT printf('user-%04d', i % 20 + 1), 'prompt ' || i, 'response ' || i, strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || (i % 100000) || ' minutes'), '2025-01-01T00:00:00.000Z' FROM n",
      ]);
      expect(fs.statSync(file).size).toBeGreaterThan(400 * 2 ** 20);
      const dir = tempDir('sw-tmux-');
      const exitFile = path.join(dir, 'exit-code');
      const session = `sw-${process.pid}-${Date.now()}-live`;
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '100',
        '-y',
        '40',
        `env -u CI NO_COLOR=1 ${process.execPath} ${BIN} --db ${file} --report-dir ${dir} --backup-dir ${path.join(dir, 'b')}; echo $? > ${exitFile}; sleep 60`,
      );
      /** Samples the running line's elapsed time (a tenth of a second: each change is a repaint). */
      const sampleRepaints = async (running: RegExp, what: string, forMs: number) => {
        const changes: number[] = [];
        let last = '';
        const until = Date.now() + forMs;
        while (Date.now() < until) {
          const shown = running.exec(tmux('capture-pane', '-p', '-t', session))?.[1];
          if (shown === undefined) break;
          if (shown !== last) {
            changes.push(Date.now());
            last = shown;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        const gaps = changes.slice(1).map((t, i) => t - changes[i]);
        console.log(
          `repaints during ${what}: ${changes.length} in ${changes.length > 1 ? changes[changes.length - 1] - changes[0] : 0} ms, longest gap ${Math.max(0, ...gaps)} ms`,
        );
        expect(changes.length).toBeGreaterThanOrEqual(4);
        // 100 ms timer; capture-pane polling adds its own delay. Frozen was 8-10 s before the worker.
        expect(Math.max(...gaps)).toBeLessThan(750);
      };
      try {
        // The backup comes after the dry run and the two confirmations that the services are stopped.
        for (const prompt of ['Dry run done', 'The team has been notified', 'Application services that use this database are stopped']) {
          const screen = await waitForScreen(session, (s) => s.includes(prompt) && /❯ /.test(s), prompt, 60_000);
          await sendUntilChanged(session, 'Enter', screen);
        }
        const backup = /Backup database (\d+\.\d) s/;
        await waitForScreen(session, (s) => backup.test(s), 'the backup running', 60_000);
        await sampleRepaints(backup, 'the backup', 1_500);

        let pressed = Date.now();
        tmux('send-keys', '-t', session, 'C-c');
        await waitForScreen(session, (s) => s.includes('Quit? The database stays as it is'), 'the quit question');
        console.log(`Ctrl+C during the backup answered in ${Date.now() - pressed} ms`);
        expect(Date.now() - pressed).toBeLessThan(1_000);
        // Keep going: the backup was never stopped.
        tmux('send-keys', '-t', session, 'Enter');
        const confirm = await waitForScreen(session, (s) => /Type (\S+) to confirm/.test(s), 'the typed confirmation', 120_000);
        tmux('send-keys', '-t', session, '-l', /Type (\S+) to confirm/.exec(confirm)![1]);
        await waitForScreen(session, (s) => s.includes('› memory.db'), 'the typed name');
        tmux('send-keys', '-t', session, 'Enter');
        const phasePrompt = await waitForScreen(session, (s) => s.includes('Apply Phase 1 now?') && /❯ Continue/.test(s), 'the Phase 1 question', 60_000);
        tmux('send-keys', '-t', session, 'Enter');
        await waitForScreen(session, (s) => s !== phasePrompt, 'the answer taken');

        const phase = /Apply Phase 1 (\d+\.\d) s · statement \d+ of \d+/;
        await waitForScreen(session, (s) => phase.test(s), 'Phase 1 running with statement n of m', 60_000);
        await sampleRepaints(phase, 'Phase 1', 1_000);
        pressed = Date.now();
        tmux('send-keys', '-t', session, 'C-c');
        await waitForScreen(session, (s) => s.includes('Quit? The database stays as it is') || fs.existsSync(exitFile), 'the quit question');
        console.log(`Ctrl+C during Phase 1 answered in ${Date.now() - pressed} ms`);
        // Keep going: the phase was never stopped. Then quit while its verification runs.
        tmux('send-keys', '-t', session, 'Enter');
        await waitForScreen(session, (s) => /Verify Phase 1 \d+\.\d s/.test(s), 'Verify Phase 1 running', 60_000);
        tmux('send-keys', '-t', session, 'C-c');
        await waitForScreen(session, (s) => s.includes('Quit? The database stays as it is'), 'the quit question');
        tmux('send-keys', '-t', session, 'Down');
        await waitForScreen(session, (s) => /❯ Quit \(state kept\)/.test(s), 'Quit highlighted');
        tmux('send-keys', '-t', session, 'Enter');
        // Said at once, while the step still runs (or, if it just ended, the end box follows).
        await waitForScreen(
          session,
          (s) => s.includes('Stopping after "Verify Phase 1" finishes; no phase will start.') || fs.existsSync(exitFile),
          'the stop acknowledged',
        );
        const end = await waitForScreen(session, () => fs.existsSync(exitFile) && fs.readFileSync(exitFile, 'utf8').trim() !== '', 'the exit', 120_000);
        expect(end).toContain('Migration interrupted');
        // Once a stop is asked for, nothing more is asked: Phase 2's question never came.
        expect(tmux('capture-pane', '-p', '-S', '-', '-t', session)).not.toContain('Apply Phase 2 now?');
        expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('130');
      } finally {
        killSession(session);
      }
      // The phase in flight committed as a whole: Phase 1 applied, Phase 2 not started.
      expect(await withSession(file, async (s) => phaseProgress(await takeSnapshot(s.db), PHASE_1).done)).toBe(17);
      expect(await withSession(file, async (s) => phaseProgress(await takeSnapshot(s.db), PHASE_2).done)).toBe(0);
    },
  );

  it('TERM=dumb gets plain lines and numbered answers, without one cursor-movement escape, to Migration complete', { timeout: 120_000 }, async () => {
    const file = await v1Database();
    const dir = tempDir('sw-tmux-');
    const exitFile = path.join(dir, 'exit-code');
    const raw = path.join(dir, 'raw-output');
    const session = `sw-${process.pid}-${Date.now()}-dumb`;
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '100',
      '-y',
      '50',
      `sleep 0.5; env -u CI TERM=dumb ${process.execPath} ${BIN} --db ${file} --report-dir ${dir} --backup-dir ${path.join(dir, 'b')}; echo $? > ${exitFile}; sleep 60`,
    );
    // Every byte the program writes, escapes included.
    tmux('pipe-pane', '-o', '-t', session, `cat >> ${raw}`);
    try {
      for (let step = 0; step < 40 && !fs.existsSync(exitFile); step++) {
        const screen = await waitForScreen(
          session,
          (s) => /(Choose 1-\d \[1\]|to confirm \(an empty line quits\)):$/.test(s.trimEnd()) || fs.existsSync(exitFile),
          'a question',
        );
        if (fs.existsSync(exitFile)) break;
        const typed = /Type (\S+) to confirm \(an empty line quits\):$/.exec(screen.trimEnd());
        if (typed) tmux('send-keys', '-t', session, '-l', typed[1]);
        tmux('send-keys', '-t', session, 'Enter');
        await waitForScreen(session, (s) => s !== screen || fs.existsSync(exitFile), 'the next question');
      }
      await waitForScreen(session, () => fs.existsSync(exitFile) && fs.readFileSync(exitFile, 'utf8').trim() !== '', 'the exit');
      expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('0');
      const bytes = fs.readFileSync(raw);
      expect(bytes.toString()).toContain('Migration complete');
      expect(bytes.toString()).toContain('1) Continue');
      // No CSI (cursor movement, erase, colour) and no other escape at all.
      expect(bytes.includes(0x1b)).toBe(false);
    } finally {
      killSession(session);
    }
    await withSession(file, async (s) => expect(phaseProgress(await takeSnapshot(s.db), PHASE_2).done).toBe(3));
  });

  it('an earlier run that died holding the lock is announced: whose, when, and what the database kept', { timeout: 60_000 }, async () => {
    const file = await v1Database();
    const os = await import('node:os');
    const { spawn } = await import('node:child_process');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    await sqlOn(file, [
      'CREATE TABLE IF NOT EXISTS _schema_wizard_lock (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "user" TEXT NOT NULL, command TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL)',
      `INSERT INTO _schema_wizard_lock VALUES (1, 'r-crashed-run', '${os.hostname()}', ${dead.pid}, 'alice', 'apply', '2026-01-01T00:00:00.000Z', '${new Date(Date.now() + 3_600_000).toISOString()}')`,
    ]);
    const dir = tempDir('sw-tmux-');
    const exitFile = path.join(dir, 'exit-code');
    const session = `sw-${process.pid}-${Date.now()}-crash`;
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '40',
      `env -u CI NO_COLOR=1 ${process.execPath} ${BIN} --db ${file} --report-dir ${dir} --backup-dir ${path.join(dir, 'b')}; echo $? > ${exitFile}; sleep 60`,
    );
    try {
      const screen = await waitForScreen(
        session,
        (s) => s.includes('Continue from where it stopped') && s.includes('What the database kept'),
        'the announcement above its question',
      );
      const text = screen.replace(/\s+/g, ' ');
      expect(text).toContain(
        `An earlier run did not finish: r-crashed-run (apply) by alice@${os.hostname()}, pid ${dead.pid}, started 2026-01-01T00:00:00.000Z`,
      );
      expect(text).toContain('What the database kept: nothing of its phases (a write in flight was rolled back by SQLite as a whole)');
      tmux('send-keys', '-t', session, 'Down');
      await waitForScreen(session, (s) => /❯ Quit \(nothing changed\)/.test(s), 'Quit highlighted');
      tmux('send-keys', '-t', session, 'Enter');
      await waitForScreen(session, () => fs.existsSync(exitFile) && fs.readFileSync(exitFile, 'utf8').trim() !== '', 'the exit');
      expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('4');
    } finally {
      killSession(session);
    }
  });

  it('refuses to start without a terminal unless --yes, naming the headless commands', async () => {
    const { runCli } = await import('./support/cli.js');
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs an interactive terminal/);
    expect(run.stderr).toMatch(/plan \| apply --yes/);
  });

  it('--demo --yes runs the whole window unattended and writes the report', async () => {
    const { runCli } = await import('./support/cli.js');
    const dir = tempDir('sw-demo-');
    const run = await runCli(['--demo', '--yes', '--hash-plaintext-keys', '--json', '--report-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().outcome).toBe('complete');
    expect(fs.existsSync(run.json().reportFiles.markdown)).toBe(true);
    expect(run.stderr).toMatch(/confirmed \(--yes\): Application services that use this database are stopped/);
  });
});
