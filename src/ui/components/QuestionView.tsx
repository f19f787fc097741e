/** Renders whatever the maintenance window is asking, and turns the choice into its answer. */
import React, { useState } from 'react';
import { Box, Text } from 'ink';
import { quitLabel, type AnswerTo, type Question } from '../../core/window/questions.js';
import { PHASES } from '../../core/phases.js';
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
          <Choice prompt="Go on from where it stopped?" isFocused={isFocused} options={[{ label: 'Continue from where it stopped', value: 'continue' }, { label: 'Quit (nothing changed)', value: 'quit' }]} onChoose={answer} />
        </Box>
      );
    case 'review-plan':
      return (
        <Box flexDirection="column">
          {q.plan.phases.map((p) => (
            <PhaseSummary key={p.phase} plan={p} showSql={showSql} />
          ))}
          <DriftList drift={q.plan.drift} />
          <Choice
            prompt="Dry run done: nothing has been changed."
            isFocused={isFocused}
            options={[
              { label: 'Continue', value: 'continue' },
              { label: showSql ? 'Hide SQL' : 'View SQL', value: 'sql' },
              { label: 'Quit (nothing changed)', value: 'quit' },
            ]}
            onChoose={(v) => (v === 'sql' ? setShowSql((s) => !s) : answer(v))}
          />
        </Box>
      );
    case 'operator':
      return (
        <Choice
          prompt={q.statement}
          isFocused={isFocused}
          options={[
            { label: 'Yes, done', value: 'yes' },
            { label: quitLabel(q.item), value: 'quit' },
          ]}
          onChoose={answer}
        />
      );
    case 'typed':
      return <TypedConfirm expected={q.expected} target={q.target} isFocused={isFocused} onDone={(ok) => answer(ok ? 'confirmed' : 'quit')} />;
    case 'phase':
      return (
        <Box flexDirection="column">
          <PhaseSummary plan={q.plan} showSql={showSql} />
          <Choice
            prompt={`Apply ${q.plan.title} now?`}
            isFocused={isFocused}
            options={[
              { label: 'Continue', value: 'continue' },
              { label: showSql ? 'Hide SQL' : 'View SQL', value: 'sql' },
              { label: 'Skip this phase', value: 'skip' },
              { label: q.applied.length ? `Roll back (${q.applied.map((p) => PHASES[p].title).join(', ')})` : 'Roll back (nothing applied yet)', value: 'rollback' },
              { label: 'Quit', value: 'quit' },
            ]}
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
            prompt="What now? (no phase is ever left half-applied)"
            isFocused={isFocused}
            options={[
              { label: 'Retry', value: 'retry' },
              ...(q.phase ? [{ label: `Roll back ${PHASES[q.phase].title}`, value: 'rollback-phase' }] : []),
              ...(q.canRestore ? [{ label: 'Restore from backup', value: 'restore' }] : []),
              { label: 'Quit (state kept)', value: 'quit' },
            ]}
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
            prompt="Plaintext API keys:"
            isFocused={isFocused}
            options={[
              { label: `Hash ${q.keys.hashable} key${q.keys.hashable === 1 ? '' : 's'} now (undone only from the backup${q.hasBackup ? '' : ', and there is none'})`, value: 'hash' },
              { label: `Apply and leave ${users} unable to authenticate`, value: 'keep' },
              { label: 'Skip Phase 2', value: 'skip' },
            ]}
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
            prompt={`Before ${PHASES[q.phase].title}:`}
            isFocused={isFocused}
            options={[
              { label: 'Take a new backup, then check again', value: 'new-backup' },
              { label: 'Go on anyway (recorded in the report)', value: 'continue' },
              { label: 'Quit', value: 'quit' },
            ]}
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
            prompt={q.action === 'rollback' ? 'Roll back now?' : 'Restore from the backup now?'}
            isFocused={isFocused}
            options={[
              { label: 'Back (do nothing yet)', value: 'back' },
              { label: q.action === 'rollback' ? 'Yes, roll back' : 'Yes, restore', value: 'confirmed' },
            ]}
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
