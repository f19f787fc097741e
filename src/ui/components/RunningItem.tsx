/** The step in progress: spinner, elapsed time, and progress where known (statement n of m, backup %). */
import React from 'react';
import { Text } from 'ink';
import Spinner from 'ink-spinner';
import { formatBytes, labelOf, waitWords, type ChecklistRecord, type Report } from '../../core/index.js';
import { tint } from '../theme.js';

export function runningProgress(report: Report): string | null {
  const phase = report.phases.at(-1);
  if (phase && phase.status === 'running') return `statement ${phase.executed} of ${phase.total}`;
  const b = report.backupProgress;
  if (b && b.total) {
    const eta = b.etaSec !== null ? `, ETA ${Math.ceil(b.etaSec)} s` : '';
    return `${Math.floor((b.done / b.total) * 100)}% of ${b.total} ${b.unit}${eta}`;
  }
  if (b && b.unit === 'bytes') return `${formatBytes(b.done)} of the server's dump${b.statements !== undefined ? `, ${b.statements} statements` : ''}`;
  return null;
}

export function RunningItem({ record, report, now, waiting }: { record: ChecklistRecord; report: Report; now: number; waiting: boolean }) {
  const elapsed = Math.max(0, (now - Date.parse(record.startedAt)) / 1000);
  const progress = runningProgress(report);
  if (waiting) {
    return (
      <Text>
        <Text color={tint('cyan')}>▸</Text> <Text bold>{labelOf(record.item)}</Text> <Text dimColor>waiting for you</Text>
      </Text>
    );
  }
  return (
    <Text>
      <Text color={tint('cyan')}>
        <Spinner type="dots" />
      </Text>{' '}
      <Text bold>{labelOf(record.item)}</Text> <Text dimColor>{elapsed.toFixed(1)} s</Text>
      {progress ? <Text> · {progress}</Text> : null}
    </Text>
  );
}

/** A lock wait is named once it lasts this long; shorter ones (every write announces one) would only flicker. */
export const LOCK_WAIT_SHOWN_AFTER_MS = 300;

/** What the core is waiting for, named while it lasts: "Connecting to HOST (gives up in 10 s)…". */
export function WaitLine({ report, now }: { report: Report; now: number }) {
  const wait = report.waiting;
  if (!wait) return null;
  const waitedMs = Math.max(0, now - Date.parse(wait.since));
  if (wait.kind === 'lock' && waitedMs < LOCK_WAIT_SHOWN_AFTER_MS) return null;
  return (
    <Text wrap="wrap">
      <Text color={tint('yellow')}>
        <Spinner type="dots" />
      </Text>{' '}
      {waitWords(wait)} <Text dimColor>{(waitedMs / 1000).toFixed(1)} s</Text>
    </Text>
  );
}
