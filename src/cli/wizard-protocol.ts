/**
 * What crosses the thread boundary between the wizard's screen (main thread) and its core
 * (a worker thread): typed events and questions out, answers and the stop request back.
 * Everything here is plain data (structured clone): errors travel as their sentence, fix and
 * exit code, and are rebuilt on the other side.
 */
import type { CoreEvent } from '../core/model/events.js';
import type { WorkerError } from '../core/proof/file-worker.js';
import type { Question } from '../core/window/questions.js';
import type { WindowResult } from '../core/window/run-window.js';
import type { CommandLine } from './args.js';

/** Started with: the command line (the auth token included: memory only) and where reports go. */
export interface WizardJob {
  cli: CommandLine;
  reportDir: string;
}

export type ToCore =
  | { type: 'answer'; id: number; answer: unknown }
  /** Ctrl+C confirmed, or SIGTERM/SIGHUP: stop between steps (a phase in flight commits or rolls back whole). */
  | { type: 'stop' };

export type FromCore =
  | { type: 'event'; event: CoreEvent }
  | { type: 'question'; id: number; question: Question }
  | { type: 'finished'; result: WindowResult; reportPath: string | null }
  | { type: 'failed'; error: WorkerError };
