/**
 * Keys reach a prompt from the moment it is on screen. Ink's useInput subscribes in a passive
 * effect, which React runs some time after the frame is written: a key pressed in between (an
 * operator quick on the arrow the instant a question appears) reached no one and was lost, and
 * the prompt sat there as if the key had never been pressed.
 *
 * The wizard listens once, for its whole life (WizardApp's own useInput), and hands each key to
 * the prompts registered at that moment. A prompt registers in a layout effect, which runs in the
 * same task as the commit that writes its first frame, so no key can arrive between the two.
 * A key that arrives while no prompt is on screen still goes nowhere: nothing is typed ahead into
 * a question the operator has not seen.
 *
 * Outside a router (a component rendered alone, as the component tests do) the hook falls back
 * to Ink's useInput.
 */
import React, { createContext, useContext, useLayoutEffect, useRef, type ReactNode } from 'react';
import { useInput, type Key } from 'ink';

export type KeyHandler = (input: string, key: Key) => void;

export class KeyRouter {
  private readonly handlers = new Set<{ current: KeyHandler }>();

  /** Adds a prompt's handler (read through its ref, so it is always the latest); returns its removal. */
  register(handler: { current: KeyHandler }): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** One key, to every prompt registered now (a handler may unregister another while this runs). */
  deliver(input: string, key: Key): void {
    for (const handler of [...this.handlers]) handler.current(input, key);
  }
}

const RouterContext = createContext<KeyRouter | null>(null);

/** Gives the prompts below `router`; its owner passes every key it reads to `router.deliver`. */
export function KeysProvider({ router, children }: { router: KeyRouter; children: ReactNode }) {
  return <RouterContext.Provider value={router}>{children}</RouterContext.Provider>;
}

/** A prompt's keys, while `isActive`: from its first frame inside a router, through Ink's useInput outside one. */
export function usePromptKeys(handler: KeyHandler, isActive: boolean): void {
  const router = useContext(RouterContext);
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useLayoutEffect(() => {
    if (!router || !isActive) return;
    return router.register(latest);
  }, [router, isActive]);
  useInput((input, key) => latest.current(input, key), { isActive: isActive && !router });
}
