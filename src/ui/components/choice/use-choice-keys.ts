/** The keys of a choice: ↑/↓ move, Enter chooses. Only dispatches; the reducer decides. */
import type { Dispatch } from 'react';
import { usePromptKeys } from '../keys/key-router.js';
import type { ChoiceAction } from './use-choice-state.js';

export function useChoiceKeys(dispatch: Dispatch<ChoiceAction>, isActive: boolean): void {
  usePromptKeys((_input, key) => {
    if (key.downArrow) dispatch({ type: 'next' });
    else if (key.upArrow) dispatch({ type: 'previous' });
    else if (key.return) dispatch({ type: 'choose' });
  }, isActive);
}
