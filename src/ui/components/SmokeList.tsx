/** Smoke tests, each ticked as it passes. */
import React from 'react';
import { Box, Text } from 'ink';
import type { SmokeTest } from '../../core/index.js';
import { MARKS, MARK_COLORS, tint } from '../theme.js';

export function SmokeList({ tests }: { tests: SmokeTest[] }) {
  return (
    <Box flexDirection="column" marginLeft={2}>
      {tests.map((t) => (
        <Text key={t.name} wrap="wrap">
          <Text color={tint(MARK_COLORS[t.status])}>{MARKS[t.status]}</Text> {t.name}{' '}
          <Text dimColor>
            ({t.ms} ms){t.status !== 'pass' ? `: ${t.detail}` : ''}
          </Text>
        </Text>
      ))}
    </Box>
  );
}
