/**
 * The wizard: `npx schema-wizard`. In a terminal it opens the Ink UI; without one it refuses
 * unless --yes, and then runs the same maintenance window headless with the safe answers.
 */
import path from 'node:path';
import { ExitCode, finishWindow, runWindow, UserError, windowExitCode, YES_DECIDER } from '../../core/index.js';
import { automaticBackup } from '../backup-choice.js';
import type { CommandHandler } from '../command.js';
import { isInteractive } from '../confirm.js';
import { openContext } from '../context.js';
import { withDemoDatabase } from './demo.js';
import { plainDecider, wantsPlainWizard } from '../plain-wizard.js';

export const wizardCommand: CommandHandler = async (cli, output, signal, state, screens = {}) => {
  const interactive = isInteractive();
  if (!interactive && !cli.yes) {
    throw new UserError('The wizard needs an interactive terminal (or --yes to run it unattended).', {
      hint: 'In scripts and CI use the headless commands: schema-wizard plan | apply --yes | verify | smoke | stats | rollback --yes (see --help).',
      exitCode: ExitCode.usage,
    });
  }
  const line = cli.demo ? await withDemoDatabase(cli) : cli;
  const reportDir = line.reportDir ?? (cli.demo ? path.dirname(line.db!) : 'reports');
  if (interactive && !wantsPlainWizard(cli.plain)) {
    if (!screens.wizard) throw new Error('internal: the interactive wizard needs its screen (bin/schema-wizard.js hands it to main)');
    const { runInteractiveWizard } = await import('../wizard-channel.js');
    return runInteractiveWizard(await screens.wizard(), line, output, reportDir, state, signal);
  }
  // Unattended (--yes), or a person at a plain terminal: the window in-process, progress as lines.
  const asker = cli.yes ? null : plainDecider(output, signal);
  const decider = asker ?? YES_DECIDER;
  const ctx = await openContext(line, output, signal, state, { writes: true });
  try {
    const result = await runWindow(ctx.session, {
      decider,
      backup: automaticBackup(line),
      closeDb: ctx.close,
      keys: line.keys,
      repairFts: line.repairFts,
    });
    const files = finishWindow(ctx.session.emit, ctx.report, reportDir, result, ctx.session.operator);
    return {
      exitCode: windowExitCode(result),
      json: { outcome: result.outcome, message: result.message, reportFiles: files, report: ctx.report() },
      text: [
        result.outcome === 'complete' ? 'Migration complete' : `Stopped: ${result.message}`,
        // Every warning still standing, in full, as the Ink end box repeats them.
        ...ctx.report().warnings.map((w) => `! ${w}`),
        files ? `Report: ${files.markdown}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    };
  } finally {
    asker?.close();
    ctx.close();
  }
};
