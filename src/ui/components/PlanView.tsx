/** A phase plan: risk, what it changes, warnings; and, on request, its SQL in full. */
import React from 'react';
import { Box, Text } from 'ink';
import { phaseSummaryWords, type DriftItem, type PhasePlan } from '../../core/index.js';
import { tint } from '../theme.js';

export function PhaseSummary({ plan }: { plan: PhasePlan }) {
  const riskColor = plan.risk === 'low' ? 'green' : 'yellow';
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text>
        <Text bold>{plan.title}</Text> <Text color={tint(riskColor)}>({plan.risk} risk)</Text>: {phaseSummaryWords(plan)}
      </Text>
      <Text dimColor wrap="wrap">
        {plan.description}
      </Text>
      {plan.alreadyDone.length > 0 ? <Text dimColor>{plan.alreadyDone.length} change(s) already true, skipped</Text> : null}
      {plan.notes.map((n) => (
        <Text key={n} wrap="wrap">
          · {n}
        </Text>
      ))}
      {plan.warnings.map((w) => (
        <Text key={w} color={tint('yellow')} wrap="wrap">
          ! {w}
        </Text>
      ))}
      {plan.conflicts.map((c) => (
        <Text key={c} color={tint('red')} wrap="wrap">
          ✖ {c}
        </Text>
      ))}
    </Box>
  );
}

/** Every statement in full, wrapped to the terminal, never cut: printed once into the scrollback. */
export function SqlListing({ plans }: { plans: PhasePlan[] }) {
  return (
    <Box flexDirection="column" marginLeft={2} marginTop={1}>
      {plans.map((plan) => (
        <Box key={plan.phase} flexDirection="column">
          <Text bold>
            {plan.title}:{' '}
            {plan.statements.length === 0 ? 'nothing to run' : plan.statements.length === 1 ? '1 statement' : `${plan.statements.length} statements`}
          </Text>
          {plan.statements.map((s, i) => (
            <Text key={i} wrap="wrap">
              {String(i + 1).padStart(3)}. {s.sql};
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}

export function DriftList({ drift }: { drift: DriftItem[] }) {
  if (drift.length === 0) return <Text dimColor> No drift from the v1 reference schema.</Text>;
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text>Drift ({drift.length}, left untouched unless the plan says so):</Text>
      {drift.map((d) => (
        <Text key={`${d.kind}-${d.object}`} dimColor wrap="wrap">
          - {d.message}
        </Text>
      ))}
    </Box>
  );
}
