/** The typed confirmation's keys: text, Backspace, Enter to submit, Esc to quit. Only dispatches. */
import type { Dispatch } from 'react';
import { usePromptKeys } from '../keys/key-router.js';
import type { TypedAction } from './use-typed-state.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function useTypedKeys(dispatch: Dispatch<TypedAction>, isActive: boolean): void {
  usePromptKeys((input, key) => {
    if (key.escape) dispatch({ type: 'quit' });
    else if (key.return) dispatch({ type: 'submit' });
    else if (key.backspace || key.delete) dispatch({ type: 'erase' });
    else if (!(key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) && input) {
      // Several keys can arrive in one read (fast Backspaces come as "\x7f\x7f\x7f"): each is its
      // own action, and no control character ever becomes part of the text.
      for (const ch of input) {
        if (ch === '\x7f' || ch === '\b') dispatch({ type: 'erase' });
        else if (!CONTROL.test(ch)) dispatch({ type: 'type', text: ch });
      }
    }
  }, isActive);
}
