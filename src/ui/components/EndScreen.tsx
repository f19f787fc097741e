/** The last screen: `Migration complete` (or why it stopped), the summary and where the report is. */
import { OUTCOME_WORDS, phaseTitle, type Report, type WindowResult } from '../../core/index.js';
import React from 'react';
import { Box, Text } from 'ink';
import { tint } from '../theme.js';

export function EndScreen({ result, report, reportPath }: { result: WindowResult; report: Report; reportPath: string | null }) {
  const complete = result.outcome === 'complete';
  const checks = report.verifications.flatMap((v) => v.checks);
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="round" borderColor={tint(complete ? 'green' : 'yellow')} paddingX={1}>
      <Text bold color={tint(complete ? 'green' : 'yellow')}>
        {OUTCOME_WORDS[result.outcome]}
      </Text>
      {!complete ? <Text wrap="wrap">{result.message}</Text> : null}
      <Text wrap="wrap">Database: {report.target?.display}</Text>
      <Text wrap="wrap">
        {report.backup
          ? `Backup: ${report.backup.path}`
          : report.backupSkipped
            ? 'Backup: NONE (--no-backup)'
            : 'Backup: none taken (the run stopped before it)'}
      </Text>
      <Text>Phases applied by this run: {result.applied.length ? result.applied.map((p) => phaseTitle(p)).join(', ') : 'none'}</Text>
      {checks.length ? (
        <Text>
          Checks: {checks.filter((c) => c.status === 'pass').length} passed, {checks.filter((c) => c.status === 'warn').length} warning
          {checks.filter((c) => c.status === 'warn').length === 1 ? '' : 's'}, {checks.filter((c) => c.status === 'fail').length} failed
        </Text>
      ) : null}
      {report.smoke.length ? (
        <Text>
          Smoke tests: {report.smoke.filter((t) => t.status === 'pass').length} of {report.smoke.length} passed
        </Text>
      ) : null}
      {report.statsBefore && report.statsAfter ? (
        <Text>
          Tables {report.statsBefore.counts.tables} → {report.statsAfter.counts.tables}, indexes {report.statsBefore.counts.indexes} →{' '}
          {report.statsAfter.counts.indexes}
        </Text>
      ) : null}
      {report.warnings.length ? (
        <Text color={tint('yellow')}>{report.warnings.length === 1 ? '1 warning' : `${report.warnings.length} warnings`} (in full in the report):</Text>
      ) : null}
      {report.warnings.map((w, i) => (
        <Text key={i} wrap="wrap">
          ! {w}
        </Text>
      ))}
      {reportPath ? <Text wrap="wrap">Report: {reportPath}</Text> : null}
    </Box>
  );
}
