/** A phase plan: risk, what it changes, warnings, and the SQL on request. */
import React from 'react';
import { Box, Text } from 'ink';
import type { DriftItem, PhasePlan } from '../../core/planner.js';
import { tint } from '../theme.js';

export function PhaseSummary({ plan, showSql }: { plan: PhasePlan; showSql: boolean }) {
  const riskColor = plan.risk === 'low' ? 'green' : 'yellow';
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text>
        <Text bold>{plan.title}</Text> <Text color={tint(riskColor)}>({plan.risk} risk)</Text>:{' '}
        {plan.statements.length === 0 ? 'already applied' : `${plan.statements.length} statements, one atomic write`}
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
      {showSql
        ? plan.statements.map((s, i) => (
            <Text key={i} wrap="wrap">
              {String(i + 1).padStart(3)}. {s.sql};
            </Text>
          ))
        : null}
    </Box>
  );
}

export function DriftList({ drift }: { drift: DriftItem[] }) {
  if (drift.length === 0) return <Text dimColor>  No drift from the v1 reference schema.</Text>;
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text>Drift ({drift.length}, left untouched unless the plan says so):</Text>
      {drift.slice(0, 8).map((d) => (
        <Text key={`${d.kind}-${d.object}`} dimColor wrap="wrap">
          - {d.message}
        </Text>
      ))}
      {drift.length > 8 ? <Text dimColor>  … and {drift.length - 8} more (see the report)</Text> : null}
    </Box>
  );
}
