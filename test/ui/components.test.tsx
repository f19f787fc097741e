/** Presentational pieces of the wizard, rendered from props alone. */
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ChecksList } from '../../src/ui/components/ChecksList.js';
import { EndScreen } from '../../src/ui/components/EndScreen.js';
import { ItemLine } from '../../src/ui/components/ItemLine.js';
import { QuestionContext, QuestionPrompt, type Pending } from '../../src/ui/components/QuestionView.js';
import { SqlListing } from '../../src/ui/components/PlanView.js';
import { LOCK_WAIT_SHOWN_AFTER_MS, runningProgress, WaitLine } from '../../src/ui/components/RunningItem.js';
import { initialReport } from '../../src/core/model/report.js';
import type { PhasePlan } from '../../src/core/engine/planner.js';
import { DOWN, ENTER, ESC, press, waitForFrame } from '../support/frames.js';
import type { ChoiceAction } from '../../src/ui/components/choice/use-choice-state.js';
import type { TypedAction, TypedState } from '../../src/ui/components/typed/use-typed-state.js';

const phasePlan: PhasePlan = {
  phase: 'phase2',
  title: 'Phase 2',
  risk: 'medium',
  description: 'Rename users.api_key to api_key_hash.',
  status: 'pending',
  statements: [{ kind: 'drop-index', object: 'idx_users_api_key', sql: 'DROP INDEX idx_users_api_key' }],
  alreadyDone: [],
  conflicts: [],
  warnings: ['2 users hold an API key that is not a SHA-256 hex digest'],
  dropped: [],
  created: [],
  renamed: [],
  archive: null,
  notes: [],
  decision: null,
  keyHashing: null,
};

describe('ItemLine', () => {
  it('ticks a finished item with its detail', () => {
    const { lastFrame } = render(<ItemLine record={{ item: 'backup', status: 'success', startedAt: '', ms: 1500, detail: '/b/backup.db (verified)' }} />);
    expect(lastFrame()).toContain('✔ Backup database (1.5 s)');
    expect(lastFrame()).toContain('/b/backup.db (verified)');
  });
  it("shows the step's own time and the operator's time apart", () => {
    const { lastFrame } = render(
      <ItemLine record={{ item: 'confirm', status: 'success', startedAt: '', ms: 5200, thinkMs: 5000, detail: 'typed memory.db' }} />,
    );
    expect(lastFrame()).toContain('✔ Confirm the database (0.2 s) (+5.0 s waiting for you)');
  });
  it('marks a failed item with its error', () => {
    const { lastFrame } = render(
      <ItemLine record={{ item: 'phase1', status: 'error', startedAt: '', ms: 5, error: { name: 'Error', message: 'disk I/O error' } }} />,
    );
    expect(lastFrame()).toContain('✖ Apply Phase 1');
    expect(lastFrame()).toContain('disk I/O error');
  });
});

describe('ChecksList', () => {
  it('shows each check with its status and the detail of non-passing ones', () => {
    const { lastFrame } = render(
      <ChecksList
        checks={[
          { name: 'quick_check', phase: 'integrity', status: 'pass', detail: 'ok' },
          { name: 'index count', phase: 'schema', status: 'warn', detail: 'plus 2 others' },
        ]}
      />,
    );
    expect(lastFrame()).toContain('✔ quick_check');
    expect(lastFrame()).toContain('! index count: plus 2 others');
    expect(lastFrame()).not.toContain(': ok');
  });
});

/** A question as the wizard shows it: its context (printed once), then the live prompt. */
function QuestionView({ pending }: { pending: Pending }) {
  const [sqlPrinted, setSqlPrinted] = React.useState(false);
  const plans = pending.question.kind === 'phase' ? [pending.question.plan] : [];
  return (
    <>
      <QuestionContext question={pending.question} />
      {sqlPrinted ? <SqlListing plans={plans} /> : null}
      <QuestionPrompt pending={pending} sqlPrinted={sqlPrinted} onShowSql={() => setSqlPrinted(true)} />
    </>
  );
}

describe('QuestionView', () => {
  it('plaintext keys are a decision: hash first, then keep (naming who is locked out), then skip', async () => {
    let answered: string | null = null;
    const keys = { column: 'api_key', count: 5, hashable: 4, empty: 1, blob: 0, nul: 0, other: 0, upperHex: 0 };
    const { lastFrame, stdin } = render(
      <QuestionView pending={{ id: 1, question: { kind: 'plaintext-keys', keys, hasBackup: true }, answer: (v) => (answered = v) }} />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('5 users hold an API key in users.api_key that is not a SHA-256 hex digest');
    expect(frame).toContain('1 of them (empty, binary or with a NUL byte) cannot be hashed');
    expect(frame.indexOf('Hash 4 keys now (undone only from the backup)')).toBeLessThan(frame.indexOf('Apply and leave 5 users unable to authenticate'));
    expect(frame.indexOf('Apply and leave 5 users unable to authenticate')).toBeLessThan(frame.indexOf('Skip Phase 2'));
    const ui = { lastFrame, stdin };
    await press(ui, DOWN);
    await waitForFrame(lastFrame, (f) => /❯ Apply and leave/.test(f), 'keep highlighted');
    for (let i = 0; i < 40 && answered === null; i++) {
      stdin.write(ENTER);
      await waitForFrame(
        () => String(answered),
        (a) => a !== 'null',
        'the answer',
        1000,
      ).catch(() => undefined);
    }
    expect(answered).toBe('keep');
  });

  it('a phase decision offers Continue first, and prints the SQL in full on request, then no longer offers it', async () => {
    let answered: string | null = null;
    const { lastFrame, stdin } = render(
      <QuestionView pending={{ id: 1, question: { kind: 'phase', phase: 'phase2', plan: phasePlan, applied: ['phase1'] }, answer: (v) => (answered = v) }} />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('Phase 2 (medium risk)');
    expect(frame.indexOf('Continue')).toBeLessThan(frame.indexOf('View SQL'));
    for (const label of ['Skip this phase', 'Roll back (Phase 1)', 'Quit']) expect(frame).toContain(label);
    expect(frame).not.toContain('DROP INDEX idx_users_api_key;');
    const ui = { lastFrame, stdin };
    await press(ui, DOWN);
    await waitForFrame(lastFrame, (f) => /❯ View SQL/.test(f), 'View SQL highlighted');
    await press(ui, ENTER);
    await waitForFrame(lastFrame, (f) => f.includes('DROP INDEX idx_users_api_key;'), 'the SQL');
    expect(lastFrame()).toContain('Phase 2: 1 statement');
    expect(lastFrame()).not.toContain('View SQL');
    // The cursor is back on the safe way forward.
    expect(lastFrame()).toMatch(/❯ Continue\n\s+Skip this phase/);
    expect(answered).toBeNull();
  });

  it('the SQL listing never cuts a statement, however narrow the terminal', () => {
    const long = `CREATE TABLE _schema_wizard_archive_${'r'.repeat(40)}_learned_patterns (id INTEGER PRIMARY KEY, pattern TEXT NOT NULL, confidence REAL)`;
    const plan = { ...phasePlan, statements: [{ kind: 'archive-rows' as const, object: 'x', sql: long }] };
    const { lastFrame } = render(<SqlListing plans={[plan]} />);
    const frame = lastFrame()!;
    expect(frame).not.toContain('…');
    expect(frame.replace(/\s+/g, '')).toContain(`${long};`.replace(/\s+/g, ''));
  });

  it('fast keys select what is on screen: Down, Down, Enter at once skips the phase', async () => {
    let answered: string | null = null;
    const { lastFrame, stdin } = render(
      <QuestionView pending={{ id: 1, question: { kind: 'phase', phase: 'phase2', plan: phasePlan, applied: [] }, answer: (v) => (answered = v) }} />,
    );
    await press({ lastFrame, stdin }, DOWN);
    stdin.write(DOWN);
    stdin.write(ENTER);
    await waitForFrame(
      () => String(answered),
      (a) => a !== 'null',
      'the answer',
    );
    expect(answered).toBe('skip');
  });

  it('Enter on a phase decision answers continue', async () => {
    let answered: string | null = null;
    const { stdin } = render(
      <QuestionView pending={{ id: 1, question: { kind: 'phase', phase: 'phase2', plan: phasePlan, applied: [] }, answer: (v) => (answered = v) }} />,
    );
    for (let i = 0; i < 40 && answered === null; i++) {
      stdin.write(ENTER);
      await waitForFrame(
        () => String(answered),
        (a) => a !== 'null',
        'the answer',
        1000,
      ).catch(() => undefined);
    }
    expect(answered).toBe('continue');
  });

  it('the typed confirmation accepts only the exact name; Esc quits', async () => {
    let answered: string | null = null;
    const { lastFrame, stdin } = render(
      <QuestionView pending={{ id: 1, question: { kind: 'typed', expected: 'memory.db', target: '/srv/memory.db' }, answer: (v) => (answered = v) }} />,
    );
    expect(lastFrame()).toContain('Type memory.db to confirm');
    const ui = { lastFrame, stdin };
    await press(ui, 'memory.d');
    await waitForFrame(lastFrame, (f) => f.includes('› memory.d'), 'typed text');
    await press(ui, ENTER);
    await waitForFrame(lastFrame, (f) => f.includes('That is not memory.db'), 'the mismatch message');
    expect(answered).toBeNull();
    await press(ui, 'b');
    await waitForFrame(lastFrame, (f) => f.includes('› memory.db'), 'full name');
    stdin.write(ENTER);
    await waitForFrame(
      () => String(answered),
      (a) => a === 'confirmed',
      'confirmation',
    );

    let second: string | null = null;
    const esc = render(<QuestionView pending={{ id: 1, question: { kind: 'typed', expected: 'x.db', target: 'x' }, answer: (v) => (second = v) }} />);
    for (let i = 0; i < 40 && second === null; i++) {
      esc.stdin.write(ESC);
      await waitForFrame(
        () => String(second),
        (a) => a !== 'null',
        'quit',
        1000,
      ).catch(() => undefined);
    }
    expect(second).toBe('quit');
  });

  it('a failure offers Retry first, then roll back, restore and quit', () => {
    const { lastFrame } = render(
      <QuestionView
        pending={{
          id: 1,
          question: {
            kind: 'failure',
            item: 'phase1',
            phase: 'phase1',
            error: { name: 'UserError', message: 'database is busy', hint: 'stop the services' },
            canRestore: true,
          },
          answer: () => undefined,
        }}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('✖ database is busy');
    expect(frame).toContain('fix: stop the services');
    const order = ['Retry', 'Roll back Phase 1', 'Restore from backup', 'Quit (state kept)'].map((l) => frame.indexOf(l));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]))).toBe(true);
  });
});

describe('new decisions', () => {
  it('rows written since the backup: the tables, then new backup (default) / go on / quit, with the key hints', async () => {
    let answered: unknown = null;
    const changes = ['memories: 450 rows now, 400 in the backup', 'entities: rows changed (40 rows, same count)'];
    const { lastFrame, stdin } = render(
      <QuestionView
        pending={{
          id: 1,
          question: { kind: 'content-changed', phase: 'phase1', changes, since: 'the backup (2026-12-01T10:00:00Z)' },
          answer: (v) => (answered = v),
        }}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('Written since the backup (2026-12-01T10:00:00Z):');
    for (const c of changes) expect(frame).toContain(c);
    expect(frame).toContain('A restore from the backup would undo these changes');
    expect(frame).toMatch(/❯ Take a new backup, then check again\n\s+Go on anyway \(recorded in the report\)\n\s+Quit/);
    expect(frame).toContain('↑↓ move · Enter choose · Ctrl+C quit');
    await press({ lastFrame, stdin }, DOWN);
    stdin.write(ENTER);
    await waitForFrame(
      () => String(answered),
      (a) => a === 'continue',
      'the answer',
    );
  });

  it('a recovery says what it does and what is lost; Back is the default, Yes must be chosen', async () => {
    let answered: unknown = null;
    const { lastFrame, stdin } = render(
      <QuestionView
        pending={{
          id: 1,
          question: {
            kind: 'confirm-recovery',
            action: 'restore',
            summary: 'Replace /srv/m.db with the backup /b/x.db.',
            loses: 'Everything written since the backup.',
          },
          answer: (v) => (answered = v),
        }}
      />,
    );
    expect(lastFrame()).toContain('Replace /srv/m.db with the backup /b/x.db.');
    expect(lastFrame()).toContain('Lost: Everything written since the backup.');
    expect(lastFrame()).toMatch(/Restore from the backup now\?\n❯ Back \(do nothing yet\)\n\s+Yes, restore/);
    stdin.write(ENTER);
    await waitForFrame(
      () => String(answered),
      (a) => a === 'back',
      'the answer',
    );
  });

  it('the end box names the phases this run left applied and repeats every warning', () => {
    const report = {
      ...initialReport('wizard'),
      target: { kind: 'file' as const, display: '/srv/m.db', name: 'm.db' },
      warnings: ['3 users hold plaintext keys', 'Written since the backup: memories'],
    };
    const { lastFrame } = render(
      <EndScreen
        result={{ outcome: 'rolled-back', message: 'Phase 1 rolled back: the database is as it was before this run.', applied: [] }}
        report={report}
        reportPath={null}
      />,
    );
    expect(lastFrame()).toContain('Migration rolled back');
    expect(lastFrame()).toContain('Phase 1 rolled back: the database is as it was before this run.');
    expect(lastFrame()).toContain('Phases applied by this run: none');
    expect(lastFrame()).toContain('2 warnings (in full in the report):');
    expect(lastFrame()).toContain('! 3 users hold plaintext keys');
  });
});

describe('progress and the end screen', () => {
  it('shows statement n of m while a phase runs', () => {
    const report = {
      ...initialReport('wizard'),
      phases: [{ phase: 'phase1' as const, action: 'apply' as const, status: 'running' as const, total: 18, executed: 7, ms: 3, journalId: null }],
    };
    expect(runningProgress(report)).toBe('statement 7 of 18');
  });
  it('heads a completed run with Migration complete and the report path', () => {
    const { lastFrame } = render(
      <EndScreen
        result={{ outcome: 'complete', message: 'Migration complete.', applied: ['phase1', 'phase2'] }}
        report={{ ...initialReport('wizard'), target: { kind: 'file', display: '/srv/m.db', name: 'm.db' } }}
        reportPath="/srv/report.md"
      />,
    );
    expect(lastFrame()).toContain('Migration complete');
    expect(lastFrame()).toContain('Report: /srv/report.md');
  });
});

describe('WaitLine', () => {
  const since = '2026-12-01T10:00:00.000Z';
  const at = (ms: number) => Date.parse(since) + ms;
  it('names a connect wait at once, with its bound and the time waited', () => {
    const report = { ...initialReport('wizard'), waiting: { kind: 'connect' as const, on: 'libsql://db.example.turso.io', givesUpMs: 10_000, since } };
    const { lastFrame } = render(<WaitLine report={report} now={at(1_200)} />);
    expect(lastFrame()).toContain('Connecting to libsql://db.example.turso.io (gives up in 10 s)… 1.2 s');
  });
  it("names another writer's lock only once the wait lasts (every write announces one)", () => {
    const report = { ...initialReport('wizard'), waiting: { kind: 'lock' as const, on: '/srv/m.db', givesUpMs: 5_000, since } };
    expect(render(<WaitLine report={report} now={at(LOCK_WAIT_SHOWN_AFTER_MS - 100)} />).lastFrame()).toBe('');
    expect(render(<WaitLine report={report} now={at(2_000)} />).lastFrame()).toContain(
      "Waiting for another writer's lock on /srv/m.db (gives up in 5 s)… 2.0 s",
    );
    expect(render(<WaitLine report={initialReport('wizard')} now={at(2_000)} />).lastFrame()).toBe('');
  });
});

describe('choice and typed-confirmation reducers (pure)', () => {
  it('Down, Enter applied in order chooses the option moved to; later keys change nothing; moves wrap', async () => {
    const { choiceReducer } = await import('../../src/ui/components/choice/use-choice-state.js');
    const start = { count: 3, focused: 0, chosen: null };
    const keys: ChoiceAction[] = [{ type: 'next' }, { type: 'choose' }, { type: 'next' }, { type: 'choose' }];
    const chosen = keys.reduce(choiceReducer, start);
    expect(chosen).toEqual({ count: 3, focused: 1, chosen: 1 });
    expect(choiceReducer(start, { type: 'previous' }).focused).toBe(2);
  });
  it('the typed confirmation: every key counts, Backspace erases, a mismatch is said, surrounding spaces are forgiven, Esc quits', async () => {
    const { typedReducer } = await import('../../src/ui/components/typed/use-typed-state.js');
    const start: TypedState = { expected: 'memory.db', text: '', mismatch: false, outcome: null };
    const typed = (text: string): TypedAction => ({ type: 'type', text });
    const keys = (...actions: TypedAction[]) => actions;
    let s = keys(typed('memory.dx'), { type: 'erase' }, { type: 'submit' }).reduce(typedReducer, start);
    expect(s).toMatchObject({ text: 'memory.d', mismatch: true, outcome: null });
    s = keys(typed('b '), { type: 'submit' }).reduce(typedReducer, s);
    expect(s.outcome).toBe('confirmed');
    expect(typedReducer(start, { type: 'quit' }).outcome).toBe('quit');
  });
});
