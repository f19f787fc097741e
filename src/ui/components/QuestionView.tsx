/** Renders whatever the maintenance window is asking, and turns the choice into its answer. */
import React, { useState } from 'react';
import { Box, Text } from 'ink';
import type { AnswerTo, Question } from '../../core/window/questions.js';
import { choicesFor } from '../../core/window/choices.js';
import { Choice } from './Choice.js';
import { DriftList, PhaseSummary } from './PlanView.js';
import { TypedConfirm } from './TypedConfirm.js';
import { tint } from '../theme.js';

export interface Pending {
  question: Question;
  answer: (value: AnswerTo<Question>) => void;
}

export function QuestionView({ pending, isFocused = true }: { pending: Pending; isFocused?: boolean }) {
  const [showSql, setShowSql] = useState(false);
  const q = pending.question;
  const answer = pending.answer as (value: string) => void;
  switch (q.kind) {
    case 'resume':
      return (
        <Box flexDirection="column">
          <Text color={tint('yellow')} wrap="wrap">
            {q.message}
          </Text>
          <Choice {...choicesFor(q)} isFocused={isFocused} onChoose={answer} />
        </Box>
      );
    case 'review-plan':
      return (
        <Box flexDirection="column">
          {q.plan.phases.map((p) => (
            <PhaseSummary key={p.phase} plan={p} showSql={showSql} />
          ))}
          <DriftList drift={q.plan.drift} />
          <Choice {...choicesFor(q, showSql)} isFocused={isFocused} onChoose={(v) => (v === 'sql' ? setShowSql((s) => !s) : answer(v))} />
        </Box>
      );
    case 'operator':
      return (
        <Choice {...choicesFor(q)} isFocused={isFocused} onChoose={answer} />
      );
    case 'typed':
      return <TypedConfirm expected={q.expected} target={q.target} isFocused={isFocused} onDone={(ok) => answer(ok ? 'confirmed' : 'quit')} />;
    case 'phase':
      return (
        <Box flexDirection="column">
          <PhaseSummary plan={q.plan} showSql={showSql} />
          <Choice
            {...choicesFor(q, showSql)}
            isFocused={isFocused}
            onChoose={(v) => (v === 'sql' ? setShowSql((s) => !s) : answer(v))}
          />
        </Box>
      );
    case 'failure':
      return (
        <Box flexDirection="column">
          <Text color={tint('red')} wrap="wrap">
            ✖ {q.error.message}
          </Text>
          {q.error.hint ? <Text wrap="wrap">  fix: {q.error.hint}</Text> : null}
          <Choice
            {...choicesFor(q, showSql)}
            isFocused={isFocused}
            onChoose={answer}
          />
        </Box>
      );
    case 'plaintext-keys': {
      const n = q.keys.count;
      const users = n === 1 ? '1 user' : `${n} users`;
      return (
        <Box flexDirection="column">
          <Text color={tint('yellow')} wrap="wrap">
            ! {users} hold{n === 1 ? 's' : ''} an API key in users.{q.keys.column} that is not a SHA-256 hex digest. The application looks keys up by hash: after Phase 2
            renames the column, {n === 1 ? 'that user' : 'they'} cannot authenticate unless the keys are hashed.
            {q.keys.hashable < n ? ` ${n - q.keys.hashable} of them (empty, binary or with a NUL byte) cannot be hashed and stay as they are.` : ''}
          </Text>
          <Choice
            {...choicesFor(q, showSql)}
            isFocused={isFocused}
            onChoose={answer}
          />
        </Box>
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
          <Text wrap="wrap">A restore from the backup would lose these rows. Is an application service still writing?</Text>
          <Choice
            {...choicesFor(q, showSql)}
            isFocused={isFocused}
            onChoose={answer}
          />
        </Box>
      );
    case 'confirm-recovery':
      return (
        <Box flexDirection="column">
          <Text wrap="wrap">{q.summary}</Text>
          <Text color={tint('yellow')} wrap="wrap">
            Lost: {q.loses}
          </Text>
          <Choice
            {...choicesFor(q, showSql)}
            isFocused={isFocused}
            onChoose={answer}
          />
        </Box>
      );
    default: {
      const unreachable: never = q;
      return unreachable;
    }
  }
}
