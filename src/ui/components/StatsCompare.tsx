/** Stats after, next to before. */
import React from 'react';
import { Box, Text } from 'ink';
import { formatBytes, type Stats } from '../../core/index.js';

export function StatsCompare({ before, after }: { before: Stats; after: Stats | null }) {
  const rows: [string, string, string][] = [
    ['Tables', String(before.counts.tables), after ? String(after.counts.tables) : ''],
    ['Indexes', String(before.counts.indexes), after ? String(after.counts.indexes) : ''],
    ['Triggers', String(before.counts.triggers), after ? String(after.counts.triggers) : ''],
    ['Rows', String(before.totalRows), after ? String(after.totalRows) : ''],
    ['In use', formatBytes(before.size.bytes - before.size.freeBytes), after ? formatBytes(after.size.bytes - after.size.freeBytes) : ''],
  ];
  const archived = after && before.rows.learned_patterns && after.rows.learned_patterns === undefined ? before.rows.learned_patterns : 0;
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text dimColor>
        {'Metric'.padEnd(12)}
        {'Before'.padStart(12)}
        {after ? 'After'.padStart(12) : ''}
      </Text>
      {rows.map(([name, b, a]) => (
        <Text key={name}>
          {name.padEnd(12)}
          {b.padStart(12)}
          {after ? a.padStart(12) : ''}
        </Text>
      ))}
      {archived ? <Text dimColor>learned_patterns' {archived} rows are kept in its archive for rollback, not counted here.</Text> : null}
    </Box>
  );
}
