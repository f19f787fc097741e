/**
 * A decision point; the first (default) option is always the safe way forward. Drawn here
 * rather than by a select component: keys are read against a ref (a fast "Down, Enter" must
 * choose the option on screen, never the one above it), the highlighted option is marked by
 * "❯" and bold so it reads without colour (NO_COLOR, screen readers), and a key-hint line says
 * which keys do what.
 */
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { tint } from '../theme.js';

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
  const index = useRef(0);
  const [shown, setShown] = useState(0);
  useInput(
    (_input, key) => {
      if (key.upArrow || key.downArrow) {
        const n = options.length;
        index.current = (index.current + (key.downArrow ? 1 : n - 1)) % n;
        setShown(index.current);
      } else if (key.return) {
        onChoose(options[Math.min(index.current, options.length - 1)].value);
      }
    },
    { isActive: isFocused },
  );
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold wrap="wrap">
        {prompt}
      </Text>
      {options.map((o, i) => (
        <Text key={o.value} wrap="wrap" bold={i === shown} color={i === shown ? tint('cyan') : undefined}>
          {i === shown ? '❯ ' : '  '}
          {o.label}
        </Text>
      ))}
      <Text dimColor>{KEY_HINT}</Text>
    </Box>
  );
}
