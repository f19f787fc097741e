/**
 * Shows the wizard while its core runs on the other side of a CoreChannel (in the CLI, a worker
 * thread: cli/wizard-core-thread.ts): this thread only paints and reads keys, so the spinner,
 * the elapsed time, backup progress and Ctrl+C stay live while the native driver is busy there.
 * Resolves with the exit code when the window ends. It knows nothing of how the core started.
 */
import React from 'react';
import { render } from 'ink';
import type { CoreEvent } from '../core/index.js';
import { rebuildError, type CoreChannel, type FromCore } from '../core/protocol.js';
import { WizardApp } from './WizardApp.js';
import type { EventSource, StartWindow } from './use-window-run.js';

/** `signal`: SIGTERM/SIGHUP from the process, passed on to the core as a stop. */
export async function showWizard(channel: CoreChannel, signal?: AbortSignal): Promise<number> {
  const events: CoreEvent[] = [];
  const listeners = new Set<(event: CoreEvent) => void>();
  const stop = () => channel.send({ type: 'stop' });
  signal?.addEventListener('abort', stop, { once: true });

  let settle: { resolve: (v: Awaited<ReturnType<StartWindow>>) => void; reject: (e: Error) => void } | null = null;
  const outcome = new Promise<Awaited<ReturnType<StartWindow>>>((resolve, reject) => (settle = { resolve, reject }));
  outcome.catch(() => undefined);
  let ask: ((question: Extract<FromCore, { type: 'question' }>) => void) | null = null;
  const early: Extract<FromCore, { type: 'question' }>[] = [];

  channel.onMessage((message) => {
    if (message.type === 'event') {
      events.push(message.event);
      for (const listener of listeners) listener(message.event);
    } else if (message.type === 'question') {
      if (ask) ask(message);
      else early.push(message);
    } else if (message.type === 'finished') settle!.resolve({ result: message.result, reportPath: message.reportPath });
    else settle!.reject(rebuildError(message.error));
  });
  channel.onExit((error) => settle!.reject(error));

  // The screen folds `past` when it mounts and subscribes a moment later (after its first
  // commit); events that arrive in between are replayed to it, so none is lost.
  let pastRead = 0;
  const source: EventSource = {
    get past() {
      pastRead = events.length;
      return events.slice(0, pastRead);
    },
    subscribe(listener) {
      for (const event of events.slice(pastRead)) listener(event);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const start: StartWindow = (decider) => {
    ask = (message) => {
      void decider.ask(message.question).then((answer) => channel.send({ type: 'answer', id: message.id, answer }));
    };
    for (const message of early.splice(0)) ask(message);
    return outcome;
  };

  let exitCode = 1;
  const app = render(<WizardApp source={source} start={start} onAbort={stop} onExit={(code) => (exitCode = code)} stopSignal={signal} />, {
    exitOnCtrlC: false,
  });
  try {
    await app.waitUntilExit();
  } finally {
    signal?.removeEventListener('abort', stop);
    await channel.close();
  }
  return exitCode;
}
