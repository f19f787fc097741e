/**
 * What a run of phases (apply or rollback) returns: each phase's result, the backup it took and
 * the error that stopped it, as one value (kysely's MigrationResultSet is the model). A run
 * never throws past its partial results: a caller reads `error` and still sees what committed.
 * A leaf: the status words are the events' own outcome words, so one vocabulary says it all.
 */
import type { BackupRef, Outcome } from './events.js';
import type { PhaseId } from './phase-id.js';

/**
 * success: its statements committed. not-executed: nothing to do, or never reached. error: it
 * failed and was rolled back as a whole, or (code WRITE_OUTCOME_UNKNOWN) its connection failed in
 * flight and the server ran all of it or none of it.
 */
export type ResultStatus = Outcome['status'];

export interface PhaseResult {
  phase: PhaseId;
  action: 'apply' | 'rollback';
  status: ResultStatus;
  statements: number;
  journalId: number | null;
  /** One sentence: what happened, or why nothing did. */
  detail: string;
  /** A committed phase: how long its write held the write lock, in ms (BEGIN to COMMIT locally; the request remotely). */
  lockMs?: number;
}

export interface RunResultSet {
  phases: PhaseResult[];
  /** The verified backup taken before the first write, or null (--no-backup, or nothing to write). */
  backup: BackupRef | null;
  /** What stopped the run; absent when every phase ran to its end. Phases it did not reach are `not-executed`. */
  error?: unknown;
}

/** The phases a stopped run never reached, as results that say so. */
export function notReached(action: PhaseResult['action'], phases: PhaseId[], done: PhaseResult[], title: (phase: PhaseId) => string): PhaseResult[] {
  return phases
    .filter((phase) => !done.some((r) => r.phase === phase))
    .map((phase) => ({
      phase,
      action,
      status: 'not-executed',
      statements: 0,
      journalId: null,
      detail: `${title(phase)} was not reached: the run stopped before it.`,
    }));
}
