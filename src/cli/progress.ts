/**
 * One stderr line per meaningful event while a headless command runs, so a person or a CI log
 * can follow along; stdout stays reserved for the result (text or --json).
 */
import { formatBytes, formatMs, labelOf, oneLine, phaseTitle, waitWords, WRITE_OUTCOME_UNKNOWN, type CoreEvent } from '../core/index.js';

export function progressLine(event: CoreEvent): string | null {
  switch (event.type) {
    case 'run-started':
      return `schema-wizard ${event.command} (run ${event.runId})`;
    case 'connected':
      return `connected to ${event.target.display} (${event.target.kind})`;
    case 'snapshot-taken':
    case 'plan-ready':
    case 'backup-taken':
    case 'lock-released':
    case 'run-finished':
      return null;
    case 'waiting':
      // Lock waits are announced before every write; only the wizard shows them, once they last.
      return event.wait?.kind === 'connect' ? waitWords(event.wait) : null;
    case 'step-started':
      return `… ${event.label}`;
    case 'step-finished':
      switch (event.outcome.status) {
        case 'success':
          return `✔ ${stepLabel(event.step)} (${formatMs(event.ms)})${event.outcome.detail ? `: ${event.outcome.detail}` : ''}`;
        case 'error':
          // The error itself is printed once, as the command's last line.
          return `✖ ${stepLabel(event.step)} failed (the error is below)`;
        case 'not-executed':
          return `- ${stepLabel(event.step)}: ${event.outcome.reason}`;
      }
    // eslint-disable-next-line no-fallthrough
    case 'lock-acquired':
      return `lock taken by ${event.owner.user}@${event.owner.host} pid ${event.owner.pid} until ${event.owner.expiresAt}`;
    case 'backup-progress':
      return event.total
        ? `  backup ${Math.floor((event.done / event.total) * 100)}% (${event.done}/${event.total} ${event.unit}${event.etaSec !== null ? `, ETA ${Math.ceil(event.etaSec)} s` : ''})`
        : event.unit === 'bytes'
          ? `  backup: ${formatBytes(event.done)} of the server's dump${event.statements !== undefined ? ` (${event.statements} statements)` : ''}`
          : `  backup ${event.done} ${event.unit}`;
    case 'backup-skipped':
      return `!! NO BACKUP: ${event.reason}`;
    case 'phase-started':
      return `${event.action === 'apply' ? 'applying' : 'rolling back'} ${phaseTitle(event.phase)}: ${event.total} statements in one atomic write`;
    case 'statement-executed':
      return `  [${event.index}/${event.total}] ${oneLine(event.sql, 100)} (${formatMs(event.ms)})`;
    case 'phase-finished':
      if (event.outcome.status === 'success')
        return `✔ ${phaseTitle(event.phase)} ${event.action === 'apply' ? 'applied' : 'rolled back'} (${event.statements} statements, journal #${event.journalId})`;
      if (event.outcome.status === 'not-executed') return `- ${event.outcome.reason}`;
      if (event.outcome.status === 'error' && event.outcome.error.code === WRITE_OUTCOME_UNKNOWN)
        return `✖ ${phaseTitle(event.phase)} ${event.action}: the connection failed while its write was in flight, so whether it committed is unknown (the error is below)`;
      return `✖ ${phaseTitle(event.phase)} ${event.action} failed and was rolled back as a whole (the error is below)`;
    case 'rows-checked':
      return `${event.ok ? '✔' : '✖'} rows: ${event.detail}`;
    case 'warning':
      return `! ${event.message}`;
    case 'item-started':
      return `[ ] ${labelOf(event.item)}`;
    case 'item-finished':
      return `[${event.outcome.status === 'success' ? 'x' : event.outcome.status === 'error' ? '!' : '-'}] ${labelOf(event.item)}${
        event.outcome.status === 'success' && event.outcome.detail
          ? `: ${event.outcome.detail}`
          : event.outcome.status === 'not-executed'
            ? `: ${event.outcome.reason}`
            : event.outcome.status === 'error'
              ? ': failed (the error is below)'
              : ''
      }`;
    case 'verified':
      return `    ${event.checks.filter((c) => c.status === 'pass').length} pass, ${event.checks.filter((c) => c.status === 'warn').length} warn, ${event.checks.filter((c) => c.status === 'fail').length} fail, ${event.checks.filter((c) => c.status === 'pending').length} pending`;
    case 'smoke-tested':
      return `    ${smokeMark(event.test.status)} ${event.test.name} (${event.test.ms} ms)`;
    case 'stats-taken':
      return null;
    case 'operator-confirmed':
      return `    confirmed (${event.by}): ${event.statement}`;
    case 'operator-answered':
      return null;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

const LABELS: Record<string, string> = {
  connect: 'Connect',
  inspect: 'Inspect',
  plan: 'Plan',
  lock: 'Lock',
  backup: 'Backup',
  'apply-phase1': 'Phase 1',
  'apply-phase2': 'Phase 2',
  'rollback-phase1': 'Rollback Phase 1',
  'rollback-phase2': 'Rollback Phase 2',
  check: 'Check',
  restore: 'Restore',
};

function stepLabel(step: string): string {
  return LABELS[step] ?? step;
}

/** ✔ pass, ✖ fail, ! already failing before the migration (does not fail the run). */
export function smokeMark(status: string): string {
  return status === 'pass' ? '✔' : status === 'pre-existing' ? '! pre-existing:' : '✖';
}
