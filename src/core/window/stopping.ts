/**
 * How the maintenance window stops early: a Stop carries the ending and its words; a stop asked
 * for (Ctrl+C, SIGTERM, SIGHUP) is read before each item and question and ends a waiting one.
 */
import { InterruptedError } from '../engine/index.js';
import type { WindowOutcome } from './outcomes.js';
import type { Question } from './questions.js';

/** The questions whose answers include "quit"; any other answered "quit" ends the window as a quit. */
export const QUIT_IS_AN_ANSWER = new Set<Question['kind']>(['resume', 'review-plan', 'operator', 'typed', 'phase', 'failure', 'content-changed']);

/** Ends the window early, with how and why. */
export class Stop extends Error {
  constructor(
    readonly outcome: WindowOutcome,
    message: string,
    readonly verificationFailed = false,
  ) {
    super(message);
  }
}

/**
 * Lets pending messages in before deciding whether to go on. In the wizard's worker thread, a
 * stop from the screen is a message; after a long native call (a phase's index build) the
 * next item would otherwise start in the same run of microtasks, before the message is read.
 * Messages are read in the event loop's poll phase: one setImmediate can still run in the
 * current loop turn (check phase, after this turn's poll), so it waits for the next turn's.
 */
export function letMessagesIn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** `answer`, unless `signal` aborts first: then InterruptedError, and the window ends as interrupted. */
export function untilStopped<T>(answer: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return answer;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new InterruptedError());
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
