/**
 * model/: The run's vocabulary: events, the report and its reducer, errors and exit codes, plans,
 * phases, snapshots, checks, waits, results. Leaves only: model imports nothing else in the core,
 * so every stage can speak it.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { CHECKLIST, type ChecklistId, labelOf } from './checklist.js';
export type { Check, CheckPhase, CheckStatus, VerifyReport } from './checks.js';
export {
  asSentence,
  checkFailure,
  codeOf,
  type ErrorInfo,
  ExitCode,
  isConnectionFailure,
  isDiskFull,
  messageOf,
  oneLine,
  toErrorInfo,
  UserError,
  WRITE_OUTCOME_UNKNOWN,
} from './errors.js';
export { type BackupRef, type CoreEvent, type Emit, makeEmitter, type Outcome, type StepName, type TargetSummary } from './events.js';
export { currentOperator, newRunId, type OperatorInfo } from './operator.js';
export type { PhaseId } from './phase-id.js';
export type {
  ArchivePlan,
  CascadeCounts,
  ColumnRename,
  DriftItem,
  DriftKind,
  KeyDecision,
  KeyHashing,
  KeyPolicy,
  PhasePlan,
  PhaseStatus,
  PlaintextKeys,
  Plan,
  PlannedStatement,
  StatementKind,
} from './plan.js';
export { printable, printableDeep } from './printable.js';
export type { IndexStat, LockOwner, SmokeTest, Stats, TargetKind } from './records.js';
export { type ChecklistRecord, foldEvents, initialReport, reduceReport, type Report } from './report.js';
export { notReached, type PhaseResult, type ResultStatus, type RunResultSet } from './run-result.js';
export type { ForeignKey, IndexInfo, SchemaObject, Snapshot, TableInfo, TableKind } from './snapshot.js';
export { formatBytes, formatMs } from './units.js';
export { TOOL_VERSION } from './version.js';
export { type Wait, waitWords } from './waits.js';
