/** Verification checks, one line each, with their status mark. */
import React from 'react';
import { Box, Text } from 'ink';
import type { Check } from '../../core/index.js';
import { MARKS, MARK_COLORS, tint } from '../theme.js';

export function ChecksList({ checks }: { checks: Check[] }) {
  return (
    <Box flexDirection="column" marginLeft={2}>
      {checks.map((c) => (
        <Text key={c.name} wrap="wrap">
          <Text color={tint(MARK_COLORS[c.status])}>{MARKS[c.status]}</Text> {c.name}
          {c.status !== 'pass' ? <Text dimColor>: {c.detail}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
