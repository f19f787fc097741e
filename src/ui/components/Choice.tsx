/**
 * A decision point; the first (default) option is always the safe way forward. The view of a
 * reducer-held state (choice/use-choice-state.ts) and a small key hook (choice/use-choice-keys.ts),
 * as @inkjs/ui's select is built. The highlighted option is marked by "❯" and bold, so it reads
 * without colour (NO_COLOR, screen readers), and a key-hint line says which keys do what.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { tint } from '../theme.js';
import { useChoiceKeys } from './choice/use-choice-keys.js';
import { useChoiceState } from './choice/use-choice-state.js';

export interface Option<V extends string> {
  label: string;
  value: V;
}

export const KEY_HINT = '↑↓ move · Enter choose · Ctrl+C quit';

export function Choice<V extends string>({
  prompt,
  options,
  onChoose,
  isFocused = true,
}: {
  prompt: string;
  options: Option<V>[];
  onChoose: (value: V) => void;
  isFocused?: boolean;
}) {
  const { state, dispatch } = useChoiceState(options.length, (index) => onChoose(options[index].value));
  useChoiceKeys(dispatch, isFocused);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold wrap="wrap">
        {prompt}
      </Text>
      {options.map((o, i) => (
        <Text key={o.value} wrap="wrap" bold={i === state.focused} color={i === state.focused ? tint('cyan') : undefined}>
          {i === state.focused ? '❯ ' : '  '}
          {o.label}
        </Text>
      ))}
      <Text dimColor>{KEY_HINT}</Text>
    </Box>
  );
}
