/** One checklist line: its mark, label, time, and a detail line under it. */
import React from 'react';
import { Box, Text } from 'ink';
import { labelOf, type ChecklistRecord } from '../../core/index.js';
import { MARKS, MARK_COLORS, tint } from '../theme.js';

export function ItemLine({ record }: { record: ChecklistRecord }) {
  const mark = MARKS[record.status];
  const detail = record.error?.message ?? record.detail;
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={tint(MARK_COLORS[record.status])}>{mark}</Text> <Text bold>{labelOf(record.item)}</Text>
        {workMs(record) !== null && workMs(record)! >= 100 ? <Text dimColor> ({(workMs(record)! / 1000).toFixed(1)} s)</Text> : null}
        {record.thinkMs && record.thinkMs >= 100 ? <Text dimColor> (+{(record.thinkMs / 1000).toFixed(1)} s waiting for you)</Text> : null}
      </Text>
      {detail ? (
        <Box marginLeft={2}>
          <Text color={record.status === 'error' ? tint('red') : undefined} dimColor={record.status !== 'error'} wrap="wrap">
            {detail}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}

/** The step's own time: its duration without the operator's answers. */
export function workMs(record: ChecklistRecord): number | null {
  return record.ms === null ? null : Math.max(0, record.ms - (record.thinkMs ?? 0));
}
