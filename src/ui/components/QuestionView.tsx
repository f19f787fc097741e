/**
 * A question from the maintenance window, in two parts. `QuestionContext` is what the operator
 * reads before answering (the plan, the warning, the rows written since the backup): the
 * wizard prints it once into the scrollback, so it can be any length without pushing the live
 * area past the terminal's height. `QuestionPrompt` is what stays live: the prompt, the
 * answers and the key hints, a few lines at most.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { choicesFor, type AnswerTo, type Question } from '../../core/index.js';
import { Choice } from './Choice.js';
import { DriftList, PhaseSummary } from './PlanView.js';
import { TypedConfirm } from './TypedConfirm.js';
import { tint } from '../theme.js';

export interface Pending {
  /** Each question asked gets its own: the prompt is mounted afresh for it (its own cursor and state). */
  id: number;
  question: Question;
  answer: (value: AnswerTo<Question>) => void;
}

export function QuestionContext({ question: q }: { question: Question }) {
  switch (q.kind) {
    case 'resume':
      return (
        <Text color={tint('yellow')} wrap="wrap">
          {q.message}
        </Text>
      );
    case 'review-plan':
      return (
        <Box flexDirection="column">
          {q.plan.phases.map((p) => (
            <PhaseSummary key={p.phase} plan={p} />
          ))}
          <DriftList drift={q.plan.drift} />
        </Box>
      );
    case 'phase':
      return <PhaseSummary plan={q.plan} />;
    case 'failure':
      return (
        <Box flexDirection="column">
          <Text color={tint('red')} wrap="wrap">
            ✖ {q.error.message}
          </Text>
          {q.error.hint ? <Text wrap="wrap"> fix: {q.error.hint}</Text> : null}
        </Box>
      );
    case 'plaintext-keys': {
      const n = q.keys.count;
      const users = n === 1 ? '1 user' : `${n} users`;
      return (
        <Text color={tint('yellow')} wrap="wrap">
          ! {users} hold{n === 1 ? 's' : ''} an API key in users.{q.keys.column} that is not a SHA-256 hex digest. The application looks keys up by hash: after
          Phase 2 renames the column, {n === 1 ? 'that user' : 'they'} cannot authenticate unless the keys are hashed.
          {q.keys.hashable < n ? ` ${n - q.keys.hashable} of them (empty, binary or with a NUL byte) cannot be hashed and stay as they are.` : ''}
        </Text>
      );
    }
    case 'content-changed':
      return (
        <Box flexDirection="column">
          <Text color={tint('yellow')} wrap="wrap">
            ! Written since {q.since}:
          </Text>
          {q.changes.map((c) => (
            <Text key={c} wrap="wrap">
              {'  '}
              {c}
            </Text>
          ))}
          <Text wrap="wrap">A restore from the backup would undo these changes. Is an application service still writing?</Text>
        </Box>
      );
    case 'confirm-recovery':
      return (
        <Box flexDirection="column">
          <Text wrap="wrap">{q.summary}</Text>
          <Text color={tint('yellow')} wrap="wrap">
            Lost: {q.loses}
          </Text>
        </Box>
      );
    case 'typed':
      // Printed above the prompt: a long path must not make the live area tall.
      return <Text wrap="wrap">The next step writes to {q.target}.</Text>;
    case 'operator':
      return null;
    default: {
      const unreachable: never = q;
      return unreachable;
    }
  }
}

/**
 * The live part. "View SQL" is not an answer: it calls `onShowSql` (the wizard prints the
 * statements above) and is then no longer offered (`sqlPrinted`).
 */
export function QuestionPrompt({
  pending,
  onShowSql,
  sqlPrinted = false,
  isFocused = true,
}: {
  pending: Pending;
  onShowSql: () => void;
  sqlPrinted?: boolean;
  isFocused?: boolean;
}) {
  const q = pending.question;
  const answer = pending.answer;
  if (q.kind === 'typed') return <TypedConfirm expected={q.expected} isFocused={isFocused} onDone={(ok) => answer(ok ? 'confirmed' : 'quit')} />;
  // Keyed by `sqlPrinted`: once the SQL is printed, the cursor starts again on the safe answer.
  return <Choice key={String(sqlPrinted)} {...choicesFor(q, sqlPrinted)} isFocused={isFocused} onChoose={(v) => (v === 'sql' ? onShowSql() : answer(v))} />;
}

/** The plans a question is about, for printing their SQL. */
export function plansOf(q: Question) {
  return q.kind === 'review-plan' ? q.plan.phases : q.kind === 'phase' ? [q.plan] : [];
}
