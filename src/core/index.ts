/**
 * The core's one entry for the front ends (cli/, ui/): everything they may use, by stage. The
 * worker boundary has its own module (protocol.ts). The stages reach each other through their
 * own index.ts, never through this file (dependency rules: .dependency-cruiser.cjs).
 */

// model
export {
  asSentence,
  type BackupRef,
  type Check,
  CHECKLIST,
  type ChecklistRecord,
  type CoreEvent,
  currentOperator,
  ExitCode,
  foldEvents,
  formatBytes,
  formatMs,
  initialReport,
  labelOf,
  makeEmitter,
  newRunId,
  oneLine,
  type PhaseResult,
  printable,
  printableDeep,
  reduceReport,
  type Report,
  type ResultStatus,
  type RunResultSet,
  toErrorInfo,
  TOOL_VERSION,
  UserError,
  WRITE_OUTCOME_UNKNOWN,
  waitWords,
} from './model/index.js';

// sql
export { parsePhase, phaseTitle, type PhaseId } from './sql/index.js';

// db
export { assertWritableTarget, compiledModule, openDb, redactUrl, resolveTarget, takeSnapshot, type Target, urlSecrets } from './db/index.js';

// proof
export { rebuildError, type WorkerError } from './proof/index.js';

// engine
export {
  type ApplyResultSet,
  type BackupProvider,
  backupStep,
  clearLock,
  describeOwner,
  type DriftItem,
  inspect,
  type KeyPolicy,
  type PhasePlan,
  type Plan,
  planMigration,
  readJournal,
  runApply,
  runRollback,
  type Session,
} from './engine/index.js';

// backup
export { backupProvider, restoreBackup, takeBackup } from './backup/index.js';

// verify
export { collectStats, type Impact, impactOf, runSmoke, runVerify, type SmokeTest, type Stats } from './verify/index.js';

// window
export {
  type Answer,
  type AnswerTo,
  type Choices,
  choicesFor,
  type Decider,
  endingExitCode,
  finishWindow,
  OUTCOME_WORDS,
  phaseSummaryWords,
  type Question,
  runWindow,
  typedConfirmation,
  windowExitCode,
  type WindowResult,
  YES_DECIDER,
} from './window/index.js';

// demo
export { createV1Database } from './demo/index.js';
