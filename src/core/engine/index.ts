/**
 * engine/: The migration itself: plan (pure), drift, rollback plan, rehearsal, the run lifecycle
 * (lock, backup, digest), apply, rollback, journal, lock, session. May import model, sql, db and
 * proof.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { applyPhase, type ApplyResultSet, keyDecisionError, refuseConflicts, runApply } from './apply.js';
export type { BackupProvider } from './backup-provider.js';
export { phaseProgress } from './drift.js';
export { activeApplies, type BeforeStats, type JournalEntry, LOCK_TABLE, readJournal } from './journal.js';
export { clearLock, describeOwner, holderIsGone, toOwner } from './lock.js';
export { type DriftItem, type KeyPolicy, type PhasePlan, type Plan, planMigration } from './planner.js';
export { scansBeforeMigration } from './rehearsal.js';
export { rollbackPhase, runRollback } from './rollback.js';
export { undoOfApplied } from './rollback-plan.js';
export { backupStep, type HeldLock, holdLock, type RunStart, takeRunStart } from './run-start.js';
export { checkInterrupted, inspect, InterruptedError, type Session, step, timedOutcome } from './session.js';
