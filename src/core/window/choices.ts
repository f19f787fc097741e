/**
 * What each question offers, in words: its prompt and its answers, first the safe way forward.
 * One list for both ways of asking (the Ink view and the plain-line wizard), so the two never
 * drift apart. `sql` is an answer only the asker handles (it shows or hides the statements).
 */
import { PHASES } from '../sql/index.js';
import { quitLabel, type Answer, type Question } from './questions.js';

export interface Choice {
  label: string;
  /** An answer to the question, or 'sql': show the statements and ask again. */
  value: Answer | 'sql';
}

export interface Choices {
  prompt: string;
  options: Choice[];
}

/**
 * `sqlPrinted`: the statements have been printed once, so "View SQL" is no longer offered (it
 * is the one answer that asks nothing of the window: the asker prints the SQL and asks again).
 */
export function choicesFor(q: Exclude<Question, { kind: 'typed' }>, sqlPrinted = false): Choices {
  const all = offered(q);
  return sqlPrinted ? { ...all, options: all.options.filter((o) => o.value !== 'sql') } : all;
}

function offered(q: Exclude<Question, { kind: 'typed' }>): Choices {
  const sql: Choice = { label: 'View SQL', value: 'sql' };
  switch (q.kind) {
    case 'resume':
      return {
        prompt: 'Go on from where it stopped?',
        options: [
          { label: 'Continue from where it stopped', value: 'continue' },
          { label: 'Quit (nothing changed)', value: 'quit' },
        ],
      };
    case 'review-plan':
      return {
        prompt: 'Dry run done: nothing has been changed.',
        options: [{ label: 'Continue', value: 'continue' }, sql, { label: 'Quit (nothing changed)', value: 'quit' }],
      };
    case 'operator':
      return {
        prompt: q.statement,
        options: [
          { label: 'Yes, done', value: 'yes' },
          { label: quitLabel(q.item), value: 'quit' },
        ],
      };
    case 'phase':
      return {
        prompt: `Apply ${q.plan.title} now?`,
        options: [
          { label: 'Continue', value: 'continue' },
          sql,
          { label: 'Skip this phase', value: 'skip' },
          {
            label: q.applied.length ? `Roll back (${q.applied.map((p) => PHASES[p].title).join(', ')})` : 'Roll back (nothing applied yet)',
            value: 'rollback',
          },
          { label: 'Quit', value: 'quit' },
        ],
      };
    case 'failure':
      return {
        prompt: 'What now? (no phase is ever left half-applied)',
        options: [
          { label: 'Retry', value: 'retry' },
          ...(q.phase ? [{ label: `Roll back ${PHASES[q.phase].title}`, value: 'rollback-phase' } as const] : []),
          ...(q.canRestore ? [{ label: 'Restore from backup', value: 'restore' } as const] : []),
          { label: 'Quit (state kept)', value: 'quit' },
        ],
      };
    case 'plaintext-keys': {
      const n = q.keys.count;
      return {
        prompt: 'Plaintext API keys:',
        options: [
          {
            label: `Hash ${q.keys.hashable} key${q.keys.hashable === 1 ? '' : 's'} now (undone only from the backup${q.hasBackup ? '' : ', and there is none'})`,
            value: 'hash',
          },
          { label: `Apply and leave ${n === 1 ? '1 user' : `${n} users`} unable to authenticate`, value: 'keep' },
          { label: 'Skip Phase 2', value: 'skip' },
        ],
      };
    }
    case 'content-changed':
      return {
        prompt: `Before ${PHASES[q.phase].title}:`,
        options: [
          { label: 'Take a new backup, then check again', value: 'new-backup' },
          { label: 'Go on anyway (recorded in the report)', value: 'continue' },
          { label: 'Quit', value: 'quit' },
        ],
      };
    case 'confirm-recovery':
      return {
        prompt: q.action === 'rollback' ? 'Roll back now?' : 'Restore from the backup now?',
        options: [
          { label: 'Back (do nothing yet)', value: 'back' },
          { label: q.action === 'rollback' ? 'Yes, roll back' : 'Yes, restore', value: 'confirmed' },
        ],
      };
  }
}
