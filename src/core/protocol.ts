/**
 * What crosses the thread boundary between the wizard's screen (main thread) and its core (a
 * worker thread): typed events and questions out, answers and the stop request back.
 * Everything here is plain data (structured clone): errors travel as their sentence, fix and
 * exit code, and are rebuilt on the other side (rebuildError). The screen sees the core only
 * through a CoreChannel, so it never knows how the core was started.
 */
import type { CoreEvent } from './model/index.js';
import type { WorkerError } from './proof/index.js';
import type { Answer, Question, WindowResult } from './window/index.js';

export { rebuildError, type WorkerError } from './proof/index.js';

export type ToCore =
  | { type: 'answer'; id: number; answer: Answer }
  /** Ctrl+C confirmed, or SIGTERM/SIGHUP: stop between steps (a phase in flight commits or rolls back whole). */
  | { type: 'stop' };

export type FromCore =
  | { type: 'event'; event: CoreEvent }
  | { type: 'question'; id: number; question: Question }
  | { type: 'finished'; result: WindowResult; reportPath: string | null }
  | { type: 'failed'; error: WorkerError };

/** The screen's end of the boundary: a worker thread in the CLI, anything that speaks the protocol in tests. */
export interface CoreChannel {
  send(message: ToCore): void;
  onMessage(listener: (message: FromCore) => void): void;
  /** The core stopped without a last message (it crashed, or was terminated). */
  onExit(listener: (error: Error) => void): void;
  close(): Promise<void>;
}
