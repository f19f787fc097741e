/**
 * A pure reducer folds the event stream into one serializable report. The JSON output, the
 * text summary and the wizard all render this report, so they cannot disagree.
 */
import type { ErrorInfo } from './errors.js';
import type { BackupRef, CoreEvent, Outcome, SnapshotSummary, StepName, TargetSummary } from './events.js';
import type { Wait } from './waits.js';
import type { LockOwner, SmokeTest, Stats } from './records.js';
import type { PhaseId } from './phase-id.js';
import type { Plan } from './plan.js';
import type { Check } from './checks.js';
import type { ChecklistId } from './checklist.js';

export interface ChecklistRecord {
  item: ChecklistId;
  status: 'running' | 'success' | 'error' | 'not-executed';
  startedAt: string;
  ms: number | null;
  /** Of ms, the time spent waiting for the operator's answers. */
  thinkMs?: number;
  detail?: string;
  error?: ErrorInfo;
}

export interface StepRecord {
  step: StepName;
  label: string;
  status: 'running' | 'success' | 'error' | 'not-executed';
  startedAt: string;
  ms: number | null;
  detail?: string;
  error?: ErrorInfo;
}

export interface PhaseRecord {
  phase: PhaseId;
  action: 'apply' | 'rollback';
  status: 'running' | 'success' | 'error' | 'not-executed';
  total: number;
  executed: number;
  /** Time of the statements as measured one by one (local files) or as one batch (remote). */
  ms: number;
  journalId: number | null;
  /** Round trips the phase's write took (1 remotely: one batch). */
  requests?: number;
  /** The write lock held, BEGIN to COMMIT (local files), or the write's request (remote), in ms. */
  lockMs?: number;
  detail?: string;
  error?: ErrorInfo;
}

export interface Report {
  command: string;
  runId: string | null;
  target: TargetSummary | null;
  startedAt: string | null;
  finishedAt: string | null;
  snapshot: SnapshotSummary | null;
  plan: Plan | null;
  steps: StepRecord[];
  phases: PhaseRecord[];
  lock: { owner: LockOwner; tookOverFrom: LockOwner | null; released: boolean } | null;
  backup: BackupRef | null;
  /** Why there is no backup (--no-backup), said loudly in every rendering. */
  backupSkipped: string | null;
  /** The latest backup-progress event, without its type and time. */
  backupProgress: Omit<Extract<CoreEvent, { type: 'backup-progress' }>, 'type' | 'at'> | null;
  rowChecks: { phase: PhaseId; ok: boolean; detail: string }[];
  warnings: string[];
  /** The wizard's checklist, in the order items ran. */
  checklist: ChecklistRecord[];
  verifications: { item: ChecklistId; ok: boolean; checks: Check[] }[];
  smoke: SmokeTest[];
  statsBefore: Stats | null;
  statsAfter: Stats | null;
  confirmations: { item: ChecklistId; statement: string; by: 'operator' | '--yes'; at: string }[];
  /** Time spent waiting for the operator's answers, in all. */
  thinkMs: number;
  /** A wait in progress (a remote host's first answer, another writer's lock), or null. */
  waiting: (Wait & { since: string }) | null;
  outcome: Outcome | null;
}

export function initialReport(command: string): Report {
  return {
    command,
    runId: null,
    target: null,
    startedAt: null,
    finishedAt: null,
    snapshot: null,
    plan: null,
    steps: [],
    phases: [],
    lock: null,
    backup: null,
    backupSkipped: null,
    backupProgress: null,
    rowChecks: [],
    warnings: [],
    checklist: [],
    verifications: [],
    smoke: [],
    statsBefore: null,
    statsAfter: null,
    confirmations: [],
    thinkMs: 0,
    waiting: null,
    outcome: null,
  };
}

export function reduceReport(report: Report, event: CoreEvent): Report {
  switch (event.type) {
    case 'run-started':
      return { ...report, runId: event.runId, command: event.command, startedAt: event.at };
    case 'connected':
      return { ...report, target: event.target };
    case 'snapshot-taken':
      return { ...report, snapshot: event.summary };
    case 'plan-ready':
      return {
        ...report,
        plan: event.plan,
        warnings: [...report.warnings, ...event.plan.phases.flatMap((p) => p.warnings.filter((w) => !report.warnings.includes(w)))],
      };
    case 'step-started':
      return { ...report, steps: [...report.steps, { step: event.step, label: event.label, status: 'running', startedAt: event.at, ms: null }] };
    case 'step-finished':
      return {
        ...report,
        steps: updateLast(
          report.steps,
          (s) => s.step === event.step && s.status === 'running',
          (s) => finishStep(s, event.outcome, event.ms),
        ),
      };
    case 'lock-acquired':
      return { ...report, lock: { owner: event.owner, tookOverFrom: event.tookOverFrom, released: false } };
    case 'lock-released':
      return report.lock ? { ...report, lock: { ...report.lock, released: true } } : report;
    case 'backup-progress': {
      const { type: _type, at: _at, ...progress } = event;
      return { ...report, backupProgress: progress };
    }
    case 'backup-taken':
      return { ...report, backup: event.backup, backupProgress: null };
    case 'backup-skipped':
      return { ...report, backupSkipped: event.reason };
    case 'phase-started':
      return {
        ...report,
        phases: [...report.phases, { phase: event.phase, action: event.action, status: 'running', total: event.total, executed: 0, ms: 0, journalId: null }],
      };
    case 'statement-executed':
      return {
        ...report,
        phases: updateLast(
          report.phases,
          (p) => p.phase === event.phase && p.status === 'running',
          (p) => ({ ...p, executed: event.index, ms: p.ms + event.ms }),
        ),
      };
    case 'phase-finished': {
      const running = report.phases.some((p) => p.phase === event.phase && p.action === event.action && p.status === 'running');
      const base: PhaseRecord = running
        ? report.phases.filter((p) => p.phase === event.phase && p.action === event.action && p.status === 'running').at(-1)!
        : { phase: event.phase, action: event.action, status: 'running', total: event.statements, executed: 0, ms: 0, journalId: null };
      const finished: PhaseRecord = {
        ...base,
        status: event.outcome.status,
        executed: event.outcome.status === 'success' ? event.statements : base.executed,
        journalId: event.journalId,
        ...(event.requests !== undefined ? { requests: event.requests } : {}),
        ...(event.lockMs !== undefined ? { lockMs: Math.round(event.lockMs * 10) / 10 } : {}),
        ...(event.outcome.status === 'success' && event.outcome.detail ? { detail: event.outcome.detail } : {}),
        ...(event.outcome.status === 'not-executed' ? { detail: event.outcome.reason } : {}),
        ...(event.outcome.status === 'error' ? { error: event.outcome.error } : {}),
      };
      return {
        ...report,
        phases: running
          ? updateLast(
              report.phases,
              (p) => p.phase === event.phase && p.action === event.action && p.status === 'running',
              () => finished,
            )
          : [...report.phases, finished],
      };
    }
    case 'rows-checked':
      return { ...report, rowChecks: [...report.rowChecks, { phase: event.phase, ok: event.ok, detail: event.detail }] };
    case 'warning':
      return report.warnings.includes(event.message) ? report : { ...report, warnings: [...report.warnings, event.message] };
    case 'item-started':
      return { ...report, checklist: [...report.checklist, { item: event.item, status: 'running', startedAt: event.at, ms: null }] };
    case 'operator-answered': {
      const ms = Math.round(event.ms);
      const checklist = event.item
        ? updateLast(
            report.checklist,
            (c) => c.item === event.item && c.status === 'running',
            (c) => ({ ...c, thinkMs: (c.thinkMs ?? 0) + ms }),
          )
        : report.checklist;
      return { ...report, thinkMs: report.thinkMs + ms, checklist };
    }
    case 'item-finished': {
      const rounded = Math.round(event.ms);
      const o = event.outcome;
      return {
        ...report,
        checklist: updateLast(
          report.checklist,
          (c) => c.item === event.item && c.status === 'running',
          (c) => ({
            ...c,
            status: o.status,
            ms: rounded,
            ...(o.status === 'success' && o.detail ? { detail: o.detail } : {}),
            ...(o.status === 'not-executed' ? { detail: o.reason } : {}),
            ...(o.status === 'error' ? { error: o.error } : {}),
          }),
        ),
      };
    }
    case 'verified':
      return { ...report, verifications: [...report.verifications, { item: event.item, ok: event.ok, checks: event.checks }] };
    case 'smoke-tested':
      return { ...report, smoke: [...report.smoke, event.test] };
    case 'stats-taken':
      return event.when === 'before' ? { ...report, statsBefore: event.stats } : { ...report, statsAfter: event.stats };
    case 'operator-confirmed':
      return { ...report, confirmations: [...report.confirmations, { item: event.item, statement: event.statement, by: event.by, at: event.at }] };
    case 'waiting':
      return { ...report, waiting: event.wait ? { ...event.wait, since: event.at } : null };
    case 'run-finished':
      return { ...report, outcome: event.outcome, finishedAt: event.at, waiting: null };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

function finishStep(step: StepRecord, outcome: Outcome, ms: number): StepRecord {
  const rounded = Math.round(ms * 10) / 10;
  switch (outcome.status) {
    case 'success':
      return { ...step, status: 'success', ms: rounded, ...(outcome.detail ? { detail: outcome.detail } : {}) };
    case 'error':
      return { ...step, status: 'error', ms: rounded, error: outcome.error };
    case 'not-executed':
      return { ...step, status: 'not-executed', ms: rounded, detail: outcome.reason };
  }
}

function updateLast<T>(items: T[], match: (item: T) => boolean, update: (item: T) => T): T[] {
  for (let i = items.length - 1; i >= 0; i--) {
    if (match(items[i])) return [...items.slice(0, i), update(items[i]), ...items.slice(i + 1)];
  }
  return items;
}

export function foldEvents(command: string, events: CoreEvent[]): Report {
  return events.reduce(reduceReport, initialReport(command));
}
