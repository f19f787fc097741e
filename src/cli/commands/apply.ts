/** `apply`: verified backup, then each phase as one atomic write, journaled; needs --yes. */
import { runApply } from '../../core/apply.js';
import { phaseTitle } from '../../core/phases.js';
import type { CommandHandler } from '../command.js';
import { confirmWrite } from '../confirm.js';
import { openContext } from '../context.js';
import { automaticBackup } from '../backup-choice.js';
import { renderRunSummary } from '../render.js';

export const applyCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state, { writes: true });
  try {
    await confirmWrite(cli.yes, `apply ${cli.phases.map(phaseTitle).join(' and ')} to ${ctx.target.display}`, ctx.target.name);
    const result = await runApply(ctx.session, { phases: cli.phases, backup: automaticBackup(cli), hashPlaintextKeys: cli.hashPlaintextKeys });
    const report = ctx.report();
    return {
      exitCode: 0,
      json: { phases: result.phases, backup: result.backup, noBackup: report.backupSkipped !== null, report },
      text: renderRunSummary(report),
    };
  } finally {
    ctx.close();
  }
};
