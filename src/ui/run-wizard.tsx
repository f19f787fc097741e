/** Opens the database and renders the wizard; resolves with the exit code when the window ends. */
import React from 'react';
import { render } from 'ink';
import type { CoreEvent } from '../core/events.js';
import { finishWindow } from '../core/window/report-files.js';
import { runWindow } from '../core/window/run-window.js';
import type { CommandLine } from '../cli/args.js';
import { automaticBackup } from '../cli/backup-choice.js';
import type { CommandResult, RunState } from '../cli/command.js';
import { openContext } from '../cli/context.js';
import type { Output } from '../cli/output.js';
import { WizardApp } from './WizardApp.js';
import type { EventSource, StartWindow } from './use-window-run.js';

export async function runInteractiveWizard(cli: CommandLine, output: Output, reportDir: string, state: RunState = {}): Promise<CommandResult> {
  const controller = new AbortController();
  const past: CoreEvent[] = [];
  const listeners = new Set<(event: CoreEvent) => void>();
  const ctx = await openContext(cli, output, controller.signal, state, {
    printProgress: false,
    writes: true,
    onEvent: (event) => {
      past.push(event);
      for (const listener of listeners) listener(event);
    },
  });
  const source: EventSource = {
    past: [...past],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const start: StartWindow = async (decider) => {
    const result = await runWindow(ctx.session, { decider, backup: automaticBackup(cli), closeDb: ctx.close, keys: cli.keys, repairFts: cli.repairFts, discardNewer: cli.discardNewer });
    const files = finishWindow(ctx.session.emit, ctx.report, reportDir, result, ctx.session.operator);
    return { result, reportPath: files?.markdown ?? null };
  };
  let exitCode = 1;
  const app = render(<WizardApp source={source} start={start} onAbort={() => controller.abort()} onExit={(code) => (exitCode = code)} />, { exitOnCtrlC: false });
  try {
    await app.waitUntilExit();
  } finally {
    ctx.close();
  }
  return { exitCode, json: { report: ctx.report() }, text: '' };
}
