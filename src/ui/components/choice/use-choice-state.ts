/**
 * A choice's state, held by a reducer (the shape of @inkjs/ui's select): which option is
 * highlighted, and which was chosen. Keys become actions, applied in order against the latest
 * state, so a fast "Down, Enter" chooses the option it moved to even before a repaint: no
 * handler ever reads a stale index, and no ref is needed.
 */
import { useEffect, useReducer } from 'react';

export interface ChoiceState {
  count: number;
  focused: number;
  /** The chosen index, once Enter was pressed; later keys change nothing. */
  chosen: number | null;
}

export type ChoiceAction = { type: 'next' } | { type: 'previous' } | { type: 'choose' };

export function choiceReducer(state: ChoiceState, action: ChoiceAction): ChoiceState {
  if (state.chosen !== null || state.count === 0) return state;
  switch (action.type) {
    case 'next':
      return { ...state, focused: (state.focused + 1) % state.count };
    case 'previous':
      return { ...state, focused: (state.focused + state.count - 1) % state.count };
    case 'choose':
      return { ...state, chosen: state.focused };
  }
}

/** The state, and `onChoose` called once with the chosen index. */
export function useChoiceState(count: number, onChoose: (index: number) => void) {
  const [state, dispatch] = useReducer(choiceReducer, { count, focused: 0, chosen: null });
  useEffect(() => {
    if (state.chosen !== null) onChoose(state.chosen);
    // onChoose is the caller's: it is called for the choice made, once.
  }, [state.chosen]);
  return { state, dispatch };
}
