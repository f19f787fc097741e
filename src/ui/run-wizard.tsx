/**
 * Renders the wizard while its core runs in a worker thread (cli/wizard-core-thread.ts): this
 * thread only paints and reads keys, so the spinner, the elapsed time, backup progress and
 * Ctrl+C stay live while the native driver is busy there. Resolves with the exit code when the
 * window ends.
 */
import { Worker } from 'node:worker_threads';
import React from 'react';
import { render } from 'ink';
import type { CoreEvent } from '../core/model/events.js';
import { compiledModule } from '../core/db/compiled-url.js';
import { rebuildError } from '../core/proof/file-worker.js';
import { foldEvents } from '../core/model/report.js';
import { assertWritableTarget, resolveTarget } from '../core/db/target.js';
import type { CommandLine } from '../cli/args.js';
import type { CommandResult, RunState } from '../cli/command.js';
import type { Output } from '../cli/output.js';
import type { FromCore, ToCore, WizardJob } from '../cli/wizard-protocol.js';
import { WizardApp } from './WizardApp.js';
import type { EventSource, StartWindow } from './use-window-run.js';


export async function runInteractiveWizard(cli: CommandLine, output: Output, reportDir: string, state: RunState = {}, signal?: AbortSignal): Promise<CommandResult> {
  // A bad --db is one line before anything is drawn (no native work: this is fast).
  const target = resolveTarget({ db: cli.db, authToken: cli.authToken });
  assertWritableTarget(target);
  output.addSecret(target.authToken);

  const events: CoreEvent[] = [];
  const listeners = new Set<(event: CoreEvent) => void>();
  state.report = () => foldEvents('wizard', events);
  const job: WizardJob = { cli, reportDir };
  const worker = new Worker(compiledModule(new URL('../cli/wizard-core-thread.js', import.meta.url), 'cli/wizard-core-thread.js'), { workerData: job });
  const send = (message: ToCore) => worker.postMessage(message);
  const stop = () => send({ type: 'stop' });
  signal?.addEventListener('abort', stop, { once: true });

  let settle: { resolve: (v: Awaited<ReturnType<StartWindow>>) => void; reject: (e: Error) => void } | null = null;
  const outcome = new Promise<Awaited<ReturnType<StartWindow>>>((resolve, reject) => (settle = { resolve, reject }));
  outcome.catch(() => undefined);
  let ask: ((question: Extract<FromCore, { type: 'question' }>) => void) | null = null;
  const early: Extract<FromCore, { type: 'question' }>[] = [];

  worker.on('message', (message: FromCore) => {
    if (message.type === 'event') {
      events.push(message.event);
      for (const listener of listeners) listener(message.event);
    } else if (message.type === 'question') {
      if (ask) ask(message);
      else early.push(message);
    } else if (message.type === 'finished') settle!.resolve({ result: message.result, reportPath: message.reportPath });
    else settle!.reject(rebuildError(message.error));
  });
  worker.once('error', (error) => settle!.reject(error));
  worker.once('exit', (code) => settle!.reject(new Error(`the wizard's core stopped unexpectedly (exit ${code})`)));

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
      void decider.ask(message.question).then((answer) => send({ type: 'answer', id: message.id, answer }));
    };
    for (const message of early.splice(0)) ask(message);
    return outcome;
  };

  let exitCode = 1;
  const app = render(<WizardApp source={source} start={start} onAbort={stop} onExit={(code) => (exitCode = code)} />, { exitOnCtrlC: false });
  try {
    await app.waitUntilExit();
  } finally {
    signal?.removeEventListener('abort', stop);
    await worker.terminate();
  }
  return { exitCode, json: { report: foldEvents('wizard', events) }, text: '' };
}
