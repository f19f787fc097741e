/** Before the first write: the operator types the database's name. Esc quits. */
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { typedConfirmation } from '../../core/index.js';
import { tint } from '../theme.js';

export function TypedConfirm({ expected, onDone, isFocused = true }: { expected: string; onDone: (ok: boolean) => void; isFocused?: boolean }) {
  // The text lives in a ref: a handler from an earlier render must still see every keystroke.
  const text = useRef('');
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const set = (value: string) => {
    text.current = value;
    setTyped(value);
  };
  useInput(
    (input, key) => {
      if (key.escape) return onDone(false);
      if (key.return) {
        if (typedConfirmation.matches(text.current, expected)) return onDone(true);
        setMismatch(true);
        return;
      }
      if (key.backspace || key.delete) return set(text.current.slice(0, -1));
      if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
      setMismatch(false);
      set(text.current + input);
    },
    { isActive: isFocused },
  );
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>{typedConfirmation.prompt(expected)}</Text>
      <Text>
        <Text color={tint('cyan')}>› </Text>
        {typed}
        <Text inverse> </Text>
      </Text>
      {mismatch ? (
        <Text color={tint('red')}>That is not {expected}. Type it exactly, or press Esc to quit (nothing changed).</Text>
      ) : (
        <Text dimColor>Enter to confirm, Esc to quit</Text>
      )}
    </Box>
  );
}
