/**
 * The typed confirmation's state, held by a reducer: the text so far, whether the last Enter
 * was a mismatch, and the outcome. Keystrokes are actions applied in order, so a fast typist's
 * every key counts without a ref. Whether the text matches is the core's one rule
 * (typedConfirmation.matches).
 */
import { useEffect, useReducer } from 'react';
import { typedConfirmation } from '../../../core/index.js';

/** How far past the expected name the text may grow (enough to see a typo, never a screenful). */
const MARGIN = 16;

export interface TypedState {
  expected: string;
  text: string;
  mismatch: boolean;
  outcome: 'confirmed' | 'quit' | null;
}

export type TypedAction = { type: 'type'; text: string } | { type: 'erase' } | { type: 'submit' } | { type: 'quit' };

export function typedReducer(state: TypedState, action: TypedAction): TypedState {
  if (state.outcome !== null) return state;
  switch (action.type) {
    case 'type':
      // Never longer than the name and a margin: a long paste cannot grow the prompt past the screen.
      return { ...state, text: (state.text + action.text).slice(0, state.expected.length + MARGIN), mismatch: false };
    case 'erase':
      return { ...state, text: state.text.slice(0, -1) };
    case 'submit':
      return typedConfirmation.matches(state.text, state.expected) ? { ...state, outcome: 'confirmed' } : { ...state, mismatch: true };
    case 'quit':
      return { ...state, outcome: 'quit' };
  }
}

export function useTypedState(expected: string, onDone: (ok: boolean) => void) {
  const [state, dispatch] = useReducer(typedReducer, { expected, text: '', mismatch: false, outcome: null });
  useEffect(() => {
    if (state.outcome !== null) onDone(state.outcome === 'confirmed');
  }, [state.outcome]);
  return { state, dispatch };
}
