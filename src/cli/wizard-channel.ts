/**
 * The interactive wizard from the CLI's side: checks the target (one line, before anything is
 * drawn), starts the core in a worker thread (wizard-core-thread.ts) and gives the screen a
 * CoreChannel to it. The events are kept here too, so an error printed after the screen closes
 * still has the run's report.
 */
import { Worker } from 'node:worker_threads';
import { assertWritableTarget, compiledModule, foldEvents, resolveTarget, type CoreEvent } from '../core/index.js';
import type { CoreChannel, FromCore } from '../core/protocol.js';
import type { CommandLine } from './args.js';
import type { CommandResult, RunState } from './command.js';
import type { Output } from './output.js';
import type { ShowWizard } from './screen.js';
import type { WizardJob } from './wizard-job.js';

export async function runInteractiveWizard(
  show: ShowWizard,
  cli: CommandLine,
  output: Output,
  reportDir: string,
  state: RunState = {},
  signal?: AbortSignal,
): Promise<CommandResult> {
  // A bad --db is one line before anything is drawn (no native work: this is fast).
  const target = resolveTarget({ db: cli.db, authToken: cli.authToken });
  assertWritableTarget(target);
  output.addSecret(target.authToken);

  const events: CoreEvent[] = [];
  state.report = () => foldEvents('wizard', events);
  const job: WizardJob = { cli, reportDir };
  const worker = new Worker(compiledModule(new URL('./wizard-core-thread.js', import.meta.url), 'cli/wizard-core-thread.js'), { workerData: job });
  worker.on('message', (message: FromCore) => {
    if (message.type === 'event') events.push(message.event);
  });
  const channel: CoreChannel = {
    send: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => {
      worker.once('error', listener);
      worker.once('exit', (code) => listener(new Error(`the wizard's core stopped unexpectedly (exit ${code})`)));
    },
    close: async () => {
      await worker.terminate();
    },
  };
  state.screenActive = true;
  const exitCode = await show(channel, signal).finally(() => (state.screenActive = false));
  return { exitCode, json: { report: foldEvents('wizard', events) }, text: '' };
}
