/**
 * The wizard without a screen to redraw: `--plain`, or a terminal that says `TERM=dumb`. The
 * same maintenance window and the same questions, as plain lines: progress on stderr (the
 * headless commands' lines), each question on stdout with numbered answers read from stdin.
 * Nothing moves the cursor, so a CI log, a serial console or a screen reader gets every line.
 */
import readline from 'node:readline';
import {
  choicesFor,
  phaseSummaryWords,
  printable,
  typedConfirmation,
  type Answer,
  type Choices,
  type Decider,
  type PhasePlan,
  type Question,
} from '../core/index.js';
import type { Output } from './output.js';

export function wantsPlainWizard(plainFlag: boolean): boolean {
  return plainFlag || process.env.TERM === 'dumb';
}

export function plainDecider(output: Output, signal: AbortSignal): Decider & { close(): void } {
  const lines = lineReader(signal);
  const say = (text: string) => output.out(printable(text));

  /** Numbered answers; Enter takes the first (the safe way forward). Without input: `fallback`. */
  const chooseOrSql = async ({ prompt, options }: Choices, fallback: Answer = 'quit'): Promise<Answer | 'sql'> => {
    for (;;) {
      say(prompt);
      options.forEach(({ label }, i) => say(`  ${i + 1}) ${label}`));
      const line = await lines.next(`Choose 1-${options.length} [1]: `);
      if (line === null) return fallback;
      const n = line.trim() === '' ? 1 : Number(line.trim());
      if (Number.isInteger(n) && n >= 1 && n <= options.length) return options[n - 1].value;
      say(`Type a number from 1 to ${options.length}.`);
    }
  };
  // Only the plan questions offer "View SQL" (they loop on it); elsewhere it is never an option.
  const choose = async (choices: Choices, fallback: Answer = 'quit'): Promise<Answer> => {
    const answer = await chooseOrSql(choices, fallback);
    return answer === 'sql' ? fallback : answer;
  };
  const showPlan = (plan: PhasePlan, sql: boolean) => {
    say(`${plan.title} (${plan.risk} risk): ${phaseSummaryWords(plan)}`);
    if (sql) for (const s of plan.statements) say(`    ${s.sql};`);
    for (const w of plan.warnings) say(`  ! ${w}`);
    for (const c of plan.conflicts) say(`  ✖ ${c}`);
  };

  const ask = async (q: Question): Promise<Answer> => {
    switch (q.kind) {
      case 'resume':
        // The announcement was just printed as the run's warning line: not said twice.
        return choose(choicesFor(q));
      case 'review-plan': {
        for (let sql = false; ; sql = true) {
          for (const p of q.plan.phases) showPlan(p, sql);
          for (const d of q.plan.drift) say(`  drift: ${d.message}`);
          const answer = await chooseOrSql(choicesFor(q, sql));
          if (answer !== 'sql') return answer;
        }
      }
      case 'operator':
        return choose(choicesFor(q));
      case 'typed': {
        say(`The next step writes to ${q.target}.`);
        const line = await lines.next(`${typedConfirmation.prompt(q.expected)} (an empty line quits): `);
        return line !== null && typedConfirmation.matches(line, q.expected) ? 'confirmed' : 'quit';
      }
      case 'phase': {
        for (let sql = false; ; sql = true) {
          showPlan(q.plan, sql);
          const answer = await chooseOrSql(choicesFor(q, sql));
          if (answer !== 'sql') return answer;
        }
      }
      case 'failure':
        say(`✖ ${q.error.message}`);
        if (q.error.hint) say(`  fix: ${q.error.hint}`);
        return choose(choicesFor(q));
      case 'plaintext-keys': {
        const n = q.keys.count;
        say(
          `! ${n} user${n === 1 ? ' holds' : 's hold'} an API key in users.${q.keys.column} that is not a SHA-256 hex digest: after Phase 2 renames the column, ${n === 1 ? 'that user' : 'they'} cannot authenticate unless the keys are hashed.`,
        );
        return choose(choicesFor(q), 'skip');
      }
      case 'content-changed':
        say(`! Written since ${q.since}:`);
        for (const c of q.changes) say(`  ${c}`);
        say('A restore from the backup would undo these changes. Is an application service still writing?');
        return choose(choicesFor(q));
      case 'confirm-recovery':
        say(q.summary);
        say(`Lost: ${q.loses}`);
        return choose(choicesFor(q), 'back');
    }
  };

  return {
    by: 'operator',
    ask,
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
