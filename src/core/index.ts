/**
 * The core's one entry for the front ends (cli/, ui/): everything they may use, by stage. The
 * worker boundary has its own module (protocol.ts). The stages import each other directly, never
 * through this file (dependency rules: .dependency-cruiser.cjs).
 */

// model
export { formatBytes, formatMs } from './model/units.js';
export { CHECKLIST, labelOf } from './model/checklist.js';
export { type Check } from './model/checks.js';
export { asSentence, ExitCode, oneLine, toErrorInfo, UserError } from './model/errors.js';
export { makeEmitter, type BackupRef, type CoreEvent } from './model/events.js';
export { currentOperator, newRunId } from './model/operator.js';
export { printable, printableDeep } from './model/printable.js';
export { foldEvents, initialReport, reduceReport, type ChecklistRecord, type Report } from './model/report.js';
export { type PhaseResult, type ResultStatus, type RunResultSet } from './model/run-result.js';
export { TOOL_VERSION } from './model/version.js';
export { waitWords } from './model/waits.js';

// sql
export { parsePhase, phaseTitle, type PhaseId } from './sql/phases.js';

// db
export { compiledModule } from './db/compiled-url.js';
export { openDb } from './db/db.js';
export { takeSnapshot } from './db/snapshot.js';
export { assertWritableTarget, redactUrl, resolveTarget, urlSecrets, type Target } from './db/target.js';

// proof
export { rebuildError, type WorkerError } from './proof/file-worker.js';

// engine
export { runApply, type ApplyResultSet } from './engine/apply.js';
export { type BackupProvider } from './engine/backup-provider.js';
export { readJournal } from './engine/journal.js';
export { clearLock, describeOwner } from './engine/lock.js';
export { planMigration, type DriftItem, type KeyPolicy, type PhasePlan, type Plan } from './engine/planner.js';
export { runRollback } from './engine/rollback.js';
export { backupStep } from './engine/run-start.js';
export { inspect, type Session } from './engine/session.js';

// backup
export { restoreBackup } from './backup/restore.js';
export { backupProvider, takeBackup } from './backup/take.js';

// verify
export { impactOf, type Impact } from './verify/impact.js';
export { runSmoke, type SmokeTest } from './verify/smoke.js';
export { collectStats, type Stats } from './verify/stats.js';
export { runVerify } from './verify/verify.js';

// window
export { choicesFor, type Choices } from './window/choices.js';
export { endingExitCode, OUTCOME_WORDS, windowExitCode } from './window/outcomes.js';
export { phaseSummaryWords } from './window/plan-words.js';
export { typedConfirmation, YES_DECIDER, type Answer, type AnswerTo, type Decider, type Question } from './window/questions.js';
export { finishWindow } from './window/report-files.js';
export { runWindow, type WindowResult } from './window/run-window.js';

// demo
export { createV1Database } from './demo/demo.js';
