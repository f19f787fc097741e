/**
 * Where the maintenance window needs a person. The runner asks through a Decider; the Ink UI
 * answers with select inputs, a headless `--yes` run answers with the safe defaults.
 */
import type { ChecklistId, ErrorInfo, PlaintextKeys } from '../model/index.js';
import type { PhaseId } from '../sql/index.js';
import type { PhasePlan, Plan } from '../engine/index.js';

export type Question =
  | { kind: 'resume'; message: string }
  | { kind: 'review-plan'; plan: Plan }
  | { kind: 'operator'; item: ChecklistId; statement: string }
  | { kind: 'typed'; expected: string; target: string }
  | { kind: 'phase'; phase: PhaseId; plan: PhasePlan; applied: PhaseId[] }
  | { kind: 'failure'; item: ChecklistId; phase: PhaseId | null; error: ErrorInfo; canRestore: boolean }
  | { kind: 'plaintext-keys'; keys: PlaintextKeys; hasBackup: boolean }
  /** Rows written or deleted since the backup (or the measurement with --no-backup): a restore would undo them. */
  | { kind: 'content-changed'; phase: PhaseId; changes: string[]; since: string }
  /** A recovery action, with what it will do and what it will lose, before anything runs. */
  | { kind: 'confirm-recovery'; action: 'rollback' | 'restore'; summary: string; loses: string };

export interface Answers {
  resume: 'continue' | 'quit';
  'review-plan': 'continue' | 'quit';
  operator: 'yes' | 'quit';
  typed: 'confirmed' | 'quit';
  phase: 'continue' | 'skip' | 'rollback' | 'quit';
  failure: 'retry' | 'rollback-phase' | 'restore' | 'quit';
  'plaintext-keys': 'hash' | 'keep' | 'skip';
  'content-changed': 'new-backup' | 'continue' | 'quit';
  'confirm-recovery': 'confirmed' | 'back';
}

export type AnswerTo<Q extends Question> = Answers[Q['kind']];

/** Any question's answer: what crosses the thread boundary back from a screen, as plain data. */
export type Answer = Answers[Question['kind']];

/** Every answer each question takes; an answer from outside the core is read against it (askAbout). */
const ANSWERS: { readonly [K in Question['kind']]: readonly Answers[K][] } = {
  resume: ['continue', 'quit'],
  'review-plan': ['continue', 'quit'],
  operator: ['yes', 'quit'],
  typed: ['confirmed', 'quit'],
  phase: ['continue', 'skip', 'rollback', 'quit'],
  failure: ['retry', 'rollback-phase', 'restore', 'quit'],
  'plaintext-keys': ['hash', 'keep', 'skip'],
  'content-changed': ['new-backup', 'continue', 'quit'],
  'confirm-recovery': ['confirmed', 'back'],
};

/**
 * Whoever answers the window's questions: the Ink screen, the plain prompts, or --yes. It may
 * answer "quit" to anything (Ctrl+C then Quit); the window decides what that means there.
 */
export interface Decider {
  ask(question: Question): Promise<Answer>;
  /** How answers were given, for the report: a person, or --yes. */
  readonly by: 'operator' | '--yes';
}

/** How the window itself asks: the answer comes back typed by the question. */
export type AskAbout = <Q extends Question>(question: Q) => Promise<AnswerTo<Q>>;

export function isAnswerTo<Q extends Question>(question: Q, answer: Answer): answer is AnswerTo<Q> {
  return (ANSWERS[question.kind] as readonly string[]).includes(answer);
}

/** An answer that is not one of the question's own (a bug on the other side of the boundary) stops the window instead of being guessed at. */
export function answerTo<Q extends Question>(question: Q, answer: Answer): AnswerTo<Q> {
  if (!isAnswerTo(question, answer))
    throw new Error(`"${String(answer)}" is not an answer to the ${question.kind} question (${ANSWERS[question.kind].join(', ')}).`);
  return answer;
}

/** The headless answers: always the safe way forward; on a failure, stop with the state kept. */
const YES_ANSWERS: { [K in Question['kind']]: Answers[K] } = {
  resume: 'continue',
  'review-plan': 'continue',
  operator: 'yes',
  typed: 'confirmed',
  phase: 'continue',
  failure: 'quit',
  // Never reached unattended: without --hash-plaintext-keys / --keep-plaintext-keys the dry run refuses.
  'plaintext-keys': 'skip',
  // The services were to be stopped: something still writes, so stop rather than race it.
  'content-changed': 'quit',
  // Never asked unattended (a failure quits), but never a recovery nobody confirmed.
  'confirm-recovery': 'back',
};

export const YES_DECIDER: Decider = {
  by: '--yes',
  ask: async (question) => YES_ANSWERS[question.kind],
};

/** Quit's label at an operator confirmation: after the phases ran, quitting changes nothing more, but something was changed. */
export function quitLabel(item: ChecklistId): string {
  return item === 'ops-after' ? 'Quit (the applied phases stay)' : 'Quit (nothing changed)';
}

/**
 * The typed confirmation, one concept for every way of asking (the Ink screen, the plain-line
 * wizard, a headless command's readline prompt): the words that ask, and what counts as typed.
 * Surrounding spaces are forgiven; anything else must be exact.
 */
export const typedConfirmation = {
  prompt: (expected: string) => `Type ${expected} to confirm`,
  matches: (typed: string, expected: string) => typed.trim() === expected,
};
