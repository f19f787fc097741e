/**
 * A decision point, drawn by ink-select-input; the first (default) option is always the safe
 * way forward. Keys are handled here against a ref: ink-select-input's own handler reads the
 * highlighted index from its last render, so a fast "Down, Enter" could select the option
 * above the one on screen, which a maintenance window cannot afford.
 */
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';

export interface Option<V extends string> {
  label: string;
  value: V;
}

export function Choice<V extends string>({ prompt, options, onChoose, isFocused = true }: { prompt: string; options: Option<V>[]; onChoose: (value: V) => void; isFocused?: boolean }) {
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
      <SelectInput key={shown} items={options.map((o) => ({ key: o.value, label: o.label, value: o.value }))} initialIndex={shown} isFocused={false} />
    </Box>
  );
}
