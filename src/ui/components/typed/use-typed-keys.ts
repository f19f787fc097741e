/** The typed confirmation's keys: text, Backspace, Enter to submit, Esc to quit. Only dispatches. */
import type { Dispatch } from 'react';
import { useInput } from 'ink';
import type { TypedAction } from './use-typed-state.js';

export function useTypedKeys(dispatch: Dispatch<TypedAction>, isActive: boolean): void {
  useInput(
    (input, key) => {
      if (key.escape) dispatch({ type: 'quit' });
      else if (key.return) dispatch({ type: 'submit' });
      else if (key.backspace || key.delete) dispatch({ type: 'erase' });
      else if (!(key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) && input)
        dispatch({ type: 'type', text: input });
    },
    { isActive },
  );
}
