/** The whole wizard flow in ink-testing-library, against a real temp database. */
import fs from 'node:fs';
import path from 'node:path';
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/core/model/events.js';
import { makeEmitter } from '../../src/core/model/events.js';
import { PHASE_1, PHASE_2 } from '../../src/core/sql/phases.js';
import { phaseProgress } from '../../src/core/engine/drift.js';
import { initialReport, reduceReport } from '../../src/core/model/report.js';
import { takeSnapshot } from '../../src/core/db/snapshot.js';
import { backupProvider } from '../../src/core/backup/take.js';
import { finishWindow } from '../../src/core/window/report-files.js';
import { runWindow } from '../../src/core/window/run-window.js';
import { WizardApp } from '../../src/ui/WizardApp.js';
import type { EventSource, StartWindow } from '../../src/ui/use-window-run.js';
import { openSession, rowsOf, v1Database, withSession } from '../support/fixtures.js';
import { DOWN, ENTER, highlight, press, typeInto, waitForFrame } from '../support/frames.js';

async function mountWizard(file: string) {
  const session = await openSession(file, 'wizard');
  const listeners = new Set<(e: CoreEvent) => void>();
  let report = initialReport('wizard');
  session.emit = makeEmitter((event) => {
    report = reduceReport(report, event);
    for (const l of listeners) l(event);
  });
  const source: EventSource = { past: [], subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) };
  const dir = path.dirname(file);
  const controller = new AbortController();
  session.signal = controller.signal;
  const start: StartWindow = async (decider) => {
    const result = await runWindow(session, {
      decider,
      backup: backupProvider({ dir: path.join(dir, 'backups'), toolVersion: 'test' }),
      closeDb: () => session.db.close(),
    });
    const files = finishWindow(session.emit, () => report, dir, result, session.operator);
    return { result, reportPath: files?.markdown ?? null };
  };
  let exitCode: number | null = null;
  const ui = render(<WizardApp source={source} start={start} onAbort={() => controller.abort()} onExit={(c) => (exitCode = c)} />);
  return { ui, session, exitCode: () => exitCode, dir };
}

/** Answers the prompt that is showing with Enter (the safe default), typing the name where asked. */
async function pressThrough(ui: ReturnType<typeof render>, name: string, until: RegExp) {
  for (let i = 0; i < 40; i++) {
    const frame = await waitForFrame(ui.lastFrame, (f) => until.test(f) || /❯ |Type .* to confirm/.test(f), 'a prompt or the end');
    if (until.test(frame)) return frame;
    if (/Type .* to confirm/.test(frame)) {
      await typeInto(ui, name);
    }
    await press(ui, ENTER);
  }
  throw new Error('too many prompts');
}

describe('wizard flow', () => {
  it('pressing Enter at every prompt (and typing the name) migrates the database', async () => {
    const file = await v1Database();
    const { ui, session, exitCode, dir } = await mountWizard(file);
    try {
      const frame = await pressThrough(ui, 'memory.db', /Migration complete/);
      expect(frame).toContain('Phases applied by this run: Phase 1, Phase 2');
      await waitForFrame(
        () => String(exitCode()),
        (c) => c === '0',
        'exit code 0',
      );
      const all = ui.frames.join('\n');
      for (const label of ['Backup database', 'Check current stats', 'Verify Phase 1', 'Smoke tests', 'Check final stats']) expect(all).toContain(`✔ ${label}`);
    } finally {
      ui.unmount();
      session.db.close();
    }
    await withSession(file, async (s) => {
      const snap = await takeSnapshot(s.db);
      expect(phaseProgress(snap, PHASE_1)).toEqual({ done: 17, total: 17 });
      expect(phaseProgress(snap, PHASE_2)).toEqual({ done: 3, total: 3 });
    });
    const reports = fs.readdirSync(dir).filter((f) => /^schema-wizard-report-.*\.(md|json)$/.test(f));
    expect(reports).toHaveLength(2);
    const md = fs.readFileSync(
      path.join(
        dir,
        reports.find((f) => f.endsWith('.md'))!,
      ),
      'utf8',
    );
    expect(md).toContain('Migration complete');
    expect(md).toContain('## Smoke tests');
    expect(fs.readdirSync(path.join(dir, 'backups')).some((f) => f.endsWith('.db'))).toBe(true);
  });

  it('Skip this phase on Phase 2 leaves it untouched; smoke then fails authentication and Quit keeps the state', async () => {
    const file = await v1Database();
    const { ui, session, exitCode } = await mountWizard(file);
    try {
      await pressThrough(ui, 'memory.db', /Apply Phase 2 now\?/);
      await highlight(ui, 'Skip this phase');
      await press(ui, ENTER);
      await pressThrough(ui, 'memory.db', /What now\?/);
      // What failed is printed above the prompt (into the scrollback), in full.
      await waitForFrame(ui.lastFrame, (f) => f.includes('user authentication'), 'the failed smoke test');
      await highlight(ui, 'Quit (state kept)');
      await press(ui, ENTER);
      // The smoke test failed, and the operator stopped there: a failure, with what stays applied.
      const end = await waitForFrame(ui.lastFrame, (f) => f.includes('Migration stopped by a failure'), 'the end screen');
      expect(end).toContain('Phases applied by this run: Phase 1');
      await waitForFrame(
        () => String(exitCode()),
        (c) => c === '3',
        'exit code 3 (a smoke test failed)',
      );
    } finally {
      ui.unmount();
      session.db.close();
    }
    await withSession(file, async (s) => {
      const snap = await takeSnapshot(s.db);
      expect(phaseProgress(snap, PHASE_1).done).toBe(17);
      expect(phaseProgress(snap, PHASE_2).done).toBe(0);
    });
  });

  it('resumes a database whose earlier run stopped after Phase 1', async () => {
    const file = await v1Database();
    const { applyOrThrow } = await import('../support/runs.js');
    await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
    const { ui, session } = await mountWizard(file);
    try {
      const frame = await waitForFrame(ui.lastFrame, (f) => /applied Phase 1 and\s+stopped before Phase 2/.test(f), 'the resume prompt');
      expect(frame).toContain('❯ Continue from where it stopped');
      await pressThrough(ui, 'memory.db', /Migration complete/);
    } finally {
      ui.unmount();
      session.db.close();
    }
    await withSession(file, async (s) => expect(phaseProgress(await takeSnapshot(s.db), PHASE_2).done).toBe(3));
  });

  it('a key pressed the instant a prompt is drawn is taken, once: Ctrl+C then Down at once highlight Quit', async () => {
    const file = await v1Database();
    const { ui, session } = await mountWizard(file);
    try {
      await waitForFrame(ui.lastFrame, (f) => f.includes('Dry run done'), 'the dry-run prompt');
      // Each key goes in a microtask after the frame that shows its prompt is written: before
      // React's passive effects, where Ink's own useInput would only start listening.
      const keyAfterFrame = (shown: (frame: string) => boolean, key: string) =>
        new Promise<void>((resolve) => {
          const write = ui.stdout.write.bind(ui.stdout);
          ui.stdout.write = (frame: string) => {
            const written = write(frame);
            if (shown(frame)) {
              ui.stdout.write = write;
              queueMicrotask(() => (ui.stdin.write(key), resolve()));
            }
            return written;
          };
        });
      const down = keyAfterFrame((f) => f.includes('Quit? The database stays as it is'), DOWN);
      ui.stdin.write('\u0003');
      await down;
      const frame = await waitForFrame(ui.lastFrame, (f) => /❯ Quit \(state kept\)/.test(f), 'Quit highlighted by the one Down', 5_000);
      expect(frame).toContain('  Keep going');
      const enter = keyAfterFrame((f) => f.includes('Dry run done') && !f.includes('Quit?'), ENTER);
      await press(ui, DOWN);
      ui.stdin.write(ENTER);
      await enter;
      // Keep going, then Enter at the dry run's prompt the moment it is back: the next question comes.
      await waitForFrame(ui.lastFrame, (f) => !f.includes('Dry run done') && /❯ /.test(f), 'the question after the dry run', 5_000);
    } finally {
      ui.unmount();
      session.db.close();
    }
  });

  it('Ctrl+C then Quit at the plaintext-keys decision quits (exit 5): "quit" never passes for a key policy', async () => {
    const file = await v1Database({ plaintextKeys: 2 });
    const before = await rowsOf(file, 'SELECT id, api_key FROM users ORDER BY id');
    const { ui, session, exitCode } = await mountWizard(file);
    try {
      await pressThrough(ui, 'memory.db', /Plaintext API keys:/);
      await press(ui, '\u0003');
      await waitForFrame(ui.lastFrame, (f) => f.includes('Quit? The database stays as it is'), 'the quit question');
      await highlight(ui, 'Quit (state kept)');
      await press(ui, ENTER);
      const end = await waitForFrame(ui.lastFrame, (f) => f.includes('Migration stopped by the operator'), 'the end screen');
      expect(end).toContain('Phases applied by this run: Phase 1');
      await waitForFrame(
        () => String(exitCode()),
        (c) => c === '5',
        'exit code 5 (quit after a phase)',
      );
    } finally {
      ui.unmount();
      session.db.close();
    }
    // Phase 2 never ran: the keys are as they were, under their old column.
    expect(await rowsOf(file, 'SELECT id, api_key FROM users ORDER BY id')).toEqual(before);
  });

  it('choosing to leave plaintext keys: the dry run says Phase 2 waits for the decision, and the end box repeats who cannot authenticate', async () => {
    const file = await v1Database({ plaintextKeys: 2 });
    const { ui, session, exitCode } = await mountWizard(file);
    try {
      const review = await waitForFrame(ui.lastFrame, (f) => f.includes('Dry run done') && f.includes('No drift'), 'the dry run and its plan');
      expect(review.replace(/\s+/g, ' ')).toContain('Phase 2 (medium risk): waits for your decision: 2 users hold a plaintext API key');
      expect(review).not.toContain('already applied');
      await pressThrough(ui, 'memory.db', /Plaintext API keys:/);
      await highlight(ui, 'Apply and leave 2 users unable to authenticate');
      await press(ui, ENTER);
      const end = await pressThrough(ui, 'memory.db', /Migration complete/);
      await waitForFrame(
        () => String(exitCode()),
        (c) => c === '0',
        'exit code 0',
      );
      const box = (ui.lastFrame() ?? end).slice((ui.lastFrame() ?? end).lastIndexOf('╭'));
      expect(box.replace(/[│\s]+/g, ' ')).toContain(
        '2 users hold a plaintext API key: after the rename those users cannot authenticate until the keys are hashed',
      );
    } finally {
      ui.unmount();
      session.db.close();
    }
  });
});
