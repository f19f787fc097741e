/**
 * Progress is one closed union of typed events, discriminated on `type`. The core emits them;
 * the report reducer, the text renderer and the wizard consume them with exhaustive switches.
 */
import type { ErrorInfo } from './errors.js';
import type { LockOwner, SmokeTest, Stats, TargetKind } from './records.js';
import type { PhaseId } from './phase-id.js';
import type { Plan } from './plan.js';
import type { Wait } from './waits.js';
import type { Check } from './checks.js';
import type { ChecklistId } from './checklist.js';

export type StepName =
  'connect' | 'inspect' | 'plan' | 'lock' | 'backup' | 'apply-phase1' | 'apply-phase2' | 'rollback-phase1' | 'rollback-phase2' | 'check' | 'restore';

/** Each step's outcome is a value: success, error (with its cause), or not executed (with why). */
export type Outcome = { status: 'success'; detail?: string } | { status: 'error'; error: ErrorInfo } | { status: 'not-executed'; reason: string };

export interface TargetSummary {
  kind: TargetKind;
  display: string;
  name: string;
}

export interface SnapshotSummary {
  tables: number;
  indexes: number;
  triggers: number;
  views: number;
  rows: Record<string, number>;
}

export interface BackupRef {
  path: string;
  sha256: string;
  format: 'db' | 'sql';
  bytes: number;
  /** How the database was read: a page copy, the server's dump, or page by page (the manifest says why). */
  read?: 'page-copy' | 'server-dump' | 'paged-reads';
  /** Why the server's dump was not used, when it was tried (also in the manifest's read.why). */
  readWhy?: string;
}

export type CoreEvent =
  | { type: 'run-started'; at: string; runId: string; command: string; phases: PhaseId[] }
  | { type: 'connected'; at: string; target: TargetSummary }
  | { type: 'snapshot-taken'; at: string; summary: SnapshotSummary }
  | { type: 'plan-ready'; at: string; plan: Plan }
  | { type: 'step-started'; at: string; step: StepName; label: string }
  | { type: 'step-finished'; at: string; step: StepName; outcome: Outcome; ms: number }
  | { type: 'lock-acquired'; at: string; owner: LockOwner; tookOverFrom: LockOwner | null }
  | { type: 'lock-released'; at: string }
  | {
      type: 'backup-progress';
      at: string;
      done: number;
      total: number | null;
      unit: 'rows' | 'bytes' | 'pages';
      ratePerSec: number;
      etaSec: number | null;
      /** Statements received so far (a server's dump, counted as it streams). */
      statements?: number;
    }
  | { type: 'backup-taken'; at: string; backup: BackupRef }
  | { type: 'backup-skipped'; at: string; reason: string }
  | { type: 'phase-started'; at: string; phase: PhaseId; action: 'apply' | 'rollback'; total: number }
  | { type: 'statement-executed'; at: string; phase: PhaseId; index: number; total: number; sql: string; ms: number }
  | {
      type: 'phase-finished';
      at: string;
      phase: PhaseId;
      action: 'apply' | 'rollback';
      outcome: Outcome;
      statements: number;
      journalId: number | null;
      requests?: number;
      /** How long the phase's write held the write lock (see Db.lastWriteLockMs). */
      lockMs?: number;
    }
  | { type: 'rows-checked'; at: string; phase: PhaseId; ok: boolean; detail: string }
  | { type: 'warning'; at: string; message: string }
  | { type: 'item-started'; at: string; item: ChecklistId }
  | { type: 'item-finished'; at: string; item: ChecklistId; outcome: Outcome; ms: number }
  | { type: 'verified'; at: string; item: ChecklistId; ok: boolean; checks: Check[] }
  | { type: 'smoke-tested'; at: string; test: SmokeTest }
  | { type: 'stats-taken'; at: string; when: 'before' | 'after'; stats: Stats }
  | { type: 'operator-confirmed'; at: string; item: ChecklistId; statement: string; by: 'operator' | '--yes' }
  /** A question was answered: how long the operator took (kept out of the step's own time). */
  | { type: 'operator-answered'; at: string; item: ChecklistId | null; ms: number }
  | { type: 'waiting'; at: string; wait: Wait | null }
  | { type: 'run-finished'; at: string; outcome: Outcome };

export type EventListener = (event: CoreEvent) => void;

/** Distributes an event (omitting `at`, which is stamped here) to a listener. */
export type Emit = (event: DistributiveOmit<CoreEvent, 'at'>) => void;

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export function makeEmitter(listener: EventListener, now: () => Date = () => new Date()): Emit {
  return (event) => listener({ ...event, at: now().toISOString() } as CoreEvent);
}
