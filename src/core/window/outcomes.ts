/**
 * How the maintenance window can end, how each ending reads to the operator (never the
 * internal name), and its exit code: one table for the Ink wizard and the headless --yes run.
 * A leaf: it imports only vocabulary.
 */
import { ExitCode, UserError } from '../model/index.js';
import type { PhaseId } from '../sql/index.js';

export type WindowOutcome = 'complete' | 'quit' | 'failed' | 'rolled-back' | 'restored' | 'interrupted';

export interface WindowResult {
  outcome: WindowOutcome;
  message: string;
  /** Phases this run applied that are still applied at the end (a rollback or restore empties it). */
  applied: PhaseId[];
  /** The run stopped on a failed verification or smoke test. */
  verificationFailed?: boolean;
}

export const OUTCOME_WORDS: Record<WindowOutcome, string> = {
  complete: 'Migration complete',
  quit: 'Migration stopped by the operator',
  failed: 'Migration stopped by a failure',
  'rolled-back': 'Migration rolled back',
  restored: 'Database restored from the backup',
  interrupted: 'Migration interrupted',
};

/** The wizard's exit codes, ending by ending (README: "Exit codes"). */
export const WINDOW_EXIT = {
  complete: 0,
  failed: 1,
  verificationFailed: 3,
  quitBeforeWrite: 4,
  quitAfterPhase: 5,
  recovered: 6,
  interrupted: 130,
} as const;

/** How the wizard ended, whichever front end ran it: its result, or an error that escaped the window (which keeps its own code). */
export function endingExitCode(ending: { result: WindowResult | null; error: Error | null }): number {
  if (ending.error) return ending.error instanceof UserError ? ending.error.exitCode : ExitCode.failed;
  return windowExitCode(ending.result!);
}

export function windowExitCode(result: WindowResult): number {
  switch (result.outcome) {
    case 'complete':
      return WINDOW_EXIT.complete;
    case 'interrupted':
      return ExitCode.interrupted;
    case 'rolled-back':
    case 'restored':
      return WINDOW_EXIT.recovered;
    case 'failed':
      return result.verificationFailed ? WINDOW_EXIT.verificationFailed : WINDOW_EXIT.failed;
    case 'quit':
      return result.applied.length > 0 ? WINDOW_EXIT.quitAfterPhase : WINDOW_EXIT.quitBeforeWrite;
  }
}
