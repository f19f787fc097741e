/**
 * Before the first write: the operator types the database's name; Esc quits. The view of a
 * reducer-held state (typed/use-typed-state.ts) and a small key hook (typed/use-typed-keys.ts).
 */
import React from 'react';
import { Box, Text } from 'ink';
import { typedConfirmation } from '../../core/index.js';
import { tint } from '../theme.js';
import { useTypedKeys } from './typed/use-typed-keys.js';
import { useTypedState } from './typed/use-typed-state.js';

export function TypedConfirm({ expected, onDone, isFocused = true }: { expected: string; onDone: (ok: boolean) => void; isFocused?: boolean }) {
  const { state, dispatch } = useTypedState(expected, onDone);
  useTypedKeys(dispatch, isFocused);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>{typedConfirmation.prompt(expected)}</Text>
      <Text>
        <Text color={tint('cyan')}>› </Text>
        {state.text}
        <Text inverse> </Text>
      </Text>
      {state.mismatch ? (
        <Text color={tint('red')}>That is not {expected}. Type it exactly, or press Esc to quit (nothing changed).</Text>
      ) : (
        <Text dimColor>Enter to confirm, Esc to quit</Text>
      )}
    </Box>
  );
}
