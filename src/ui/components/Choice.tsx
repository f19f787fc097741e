/** A decision point: ink-select-input, the first (default) option always the safe way forward. */
import React from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';

export interface Option<V extends string> {
  label: string;
  value: V;
}

export function Choice<V extends string>({ prompt, options, onChoose, isFocused = true }: { prompt: string; options: Option<V>[]; onChoose: (value: V) => void; isFocused?: boolean }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold wrap="wrap">
        {prompt}
      </Text>
      <SelectInput items={options.map((o) => ({ key: o.value, label: o.label, value: o.value }))} onSelect={(item) => onChoose(item.value)} isFocused={isFocused} />
    </Box>
  );
}
