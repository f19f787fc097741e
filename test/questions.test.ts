/**
 * An answer crosses the thread boundary as plain data: the window takes only answers its
 * question offers, so a screen bug (or a stale "quit") can never pass for a decision.
 */
import { describe, expect, it } from 'vitest';
import { answerTo, isAnswerTo, YES_DECIDER, type Question } from '../src/core/window/questions.js';

const keys: Question = {
  kind: 'plaintext-keys',
  keys: { column: 'api_key', count: 2, hashable: 2, empty: 0, blob: 0, nul: 0, other: 0, upperHex: 0 },
  hasBackup: true,
};
const recovery: Question = { kind: 'confirm-recovery', action: 'restore', summary: 'Restore.', loses: 'nothing' };
const phase = { kind: 'phase', phase: 'phase1', plan: null, applied: [] } as unknown as Question;

describe('answers', () => {
  it('are taken only when the question offers them', () => {
    expect(answerTo(keys, 'hash')).toBe('hash');
    expect(isAnswerTo(keys, 'quit')).toBe(false);
    expect(() => answerTo(keys, 'continue')).toThrow(/"continue" is not an answer to the plaintext-keys question \(hash, keep, skip\)/);
    expect(() => answerTo(recovery, 'yes')).toThrow(/not an answer to the confirm-recovery question/);
    expect(answerTo(phase, 'rollback')).toBe('rollback');
  });

  it('--yes answers each question with one of its own answers, never a recovery', async () => {
    for (const q of [keys, recovery, phase]) expect(isAnswerTo(q, await YES_DECIDER.ask(q))).toBe(true);
    expect(await YES_DECIDER.ask(recovery)).toBe('back');
  });
});
