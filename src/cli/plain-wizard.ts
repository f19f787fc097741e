/**
 * The wizard without a screen to redraw: `--plain`, or a terminal that says `TERM=dumb`. The
 * same maintenance window and the same questions, as plain lines: progress on stderr (the
 * headless commands' lines), each question on stdout with numbered answers read from stdin.
 * Nothing moves the cursor, so a CI log, a serial console or a screen reader gets every line.
 */
import readline from 'node:readline';
import { PHASES } from '../core/phases.js';
import type { PhasePlan } from '../core/planner.js';
import { printable } from '../core/printable.js';
import { quitLabel, type AnswerTo, type Decider, type Question } from '../core/window/questions.js';
import type { Output } from './output.js';

type Choice = [label: string, value: string];

export function wantsPlainWizard(plainFlag: boolean): boolean {
  return plainFlag || process.env.TERM === 'dumb';
}

export function plainDecider(output: Output, signal: AbortSignal): Decider & { close(): void } {
  const lines = lineReader(signal);
  const say = (text: string) => output.out(printable(text));

  /** Numbered answers; Enter takes the first (the safe way forward). Without input: the last resort, quit. */
  const choose = async (prompt: string, choices: Choice[], fallback = 'quit'): Promise<string> => {
    for (;;) {
      say(prompt);
      choices.forEach(([label], i) => say(`  ${i + 1}) ${label}`));
      const line = await lines.next(`Choose 1-${choices.length} [1]: `);
      if (line === null) return fallback;
      const n = line.trim() === '' ? 1 : Number(line.trim());
      if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1][1];
      say(`Type a number from 1 to ${choices.length}.`);
    }
  };

  const showPlan = (plan: PhasePlan, sql: boolean) => {
    say(`${plan.title} (${plan.risk} risk): ${plan.statements.length} statement${plan.statements.length === 1 ? '' : 's'}, one atomic write`);
    if (sql) for (const s of plan.statements) say(`    ${s.sql};`);
    for (const w of plan.warnings) say(`  ! ${w}`);
    for (const c of plan.conflicts) say(`  ✖ ${c}`);
  };

  const ask = async (q: Question): Promise<string> => {
    switch (q.kind) {
      case 'resume':
        say(`! ${q.message}`);
        return choose('Go on from where it stopped?', [['Continue from where it stopped', 'continue'], ['Quit (nothing changed)', 'quit']]);
      case 'review-plan': {
        for (let sql = false; ; sql = true) {
          for (const p of q.plan.phases) showPlan(p, sql);
          for (const d of q.plan.drift) say(`  drift: ${d.message}`);
          const answer = await choose('Dry run done: nothing has been changed.', [['Continue', 'continue'], ...(sql ? [] : ([['View SQL', 'sql']] as Choice[])), ['Quit (nothing changed)', 'quit']]);
          if (answer !== 'sql') return answer;
        }
      }
      case 'operator':
        return choose(q.statement, [['Yes, done', 'yes'], [quitLabel(q.item), 'quit']]);
      case 'typed': {
        say(`The next step writes to ${q.target}.`);
        const line = await lines.next(`Type ${q.expected} to confirm (an empty line quits): `);
        return line !== null && line.trim() === q.expected ? 'confirmed' : 'quit';
      }
      case 'phase': {
        for (let sql = false; ; sql = true) {
          showPlan(q.plan, sql);
          const answer = await choose(`Apply ${q.plan.title} now?`, [
            ['Continue', 'continue'],
            ...(sql ? [] : ([['View SQL', 'sql']] as Choice[])),
            ['Skip this phase', 'skip'],
            [q.applied.length ? `Roll back (${q.applied.map((p) => PHASES[p].title).join(', ')})` : 'Roll back (nothing applied yet)', 'rollback'],
            ['Quit', 'quit'],
          ]);
          if (answer !== 'sql') return answer;
        }
      }
      case 'failure':
        say(`✖ ${q.error.message}`);
        if (q.error.hint) say(`  fix: ${q.error.hint}`);
        return choose('What now? (no phase is ever left half-applied)', [
          ['Retry', 'retry'],
          ...(q.phase ? ([[`Roll back ${PHASES[q.phase].title}`, 'rollback-phase']] as Choice[]) : []),
          ...(q.canRestore ? ([['Restore from backup', 'restore']] as Choice[]) : []),
          ['Quit (state kept)', 'quit'],
        ]);
      case 'plaintext-keys': {
        const n = q.keys.count;
        say(`! ${n} user${n === 1 ? ' holds' : 's hold'} an API key in users.${q.keys.column} that is not a SHA-256 hex digest: after Phase 2 renames the column, ${n === 1 ? 'that user' : 'they'} cannot authenticate unless the keys are hashed.`);
        return choose('Plaintext API keys:', [
          [`Hash ${q.keys.hashable} key${q.keys.hashable === 1 ? '' : 's'} now (undone only from the backup${q.hasBackup ? '' : ', and there is none'})`, 'hash'],
          [`Apply and leave ${n} user${n === 1 ? '' : 's'} unable to authenticate`, 'keep'],
          ['Skip Phase 2', 'skip'],
        ], 'skip');
      }
      case 'content-changed':
        say(`! Written since ${q.since}:`);
        for (const c of q.changes) say(`  ${c}`);
        say('A restore from the backup would lose these rows. Is an application service still writing?');
        return choose(`Before ${PHASES[q.phase].title}:`, [['Take a new backup, then check again', 'new-backup'], ['Go on anyway (recorded in the report)', 'continue'], ['Quit', 'quit']]);
      case 'confirm-recovery':
        say(q.summary);
        say(`Lost: ${q.loses}`);
        return choose(q.action === 'rollback' ? 'Roll back now?' : 'Restore from the backup now?', [['Back (do nothing yet)', 'back'], [q.action === 'rollback' ? 'Yes, roll back' : 'Yes, restore', 'confirmed']], 'back');
    }
  };

  return {
    by: 'operator',
    ask: async <Q extends Question>(question: Q) => (await ask(question)) as AnswerTo<Q>,
    close: lines.close,
  };
}

/** One line at a time from stdin, without a terminal's line editing (no escape codes); null at the end or on a stop. */
function lineReader(signal: AbortSignal) {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const queued: string[] = [];
  let waiting: ((line: string | null) => void) | null = null;
  let closed = false;
  rl.on('line', (line) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(line);
    } else queued.push(line);
  });
  const close = () => {
    closed = true;
    waiting?.(null);
    waiting = null;
  };
  rl.on('close', close);
  signal.addEventListener('abort', () => rl.close(), { once: true });
  return {
    close: () => rl.close(),
    next(prompt: string): Promise<string | null> {
      process.stdout.write(prompt);
      if (queued.length > 0) return Promise.resolve(queued.shift()!);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
  };
}
