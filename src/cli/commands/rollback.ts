/** `rollback`: undo phases from the journal, newest first, each as one atomic write; needs --yes. */
import { phaseTitle } from '../../core/phases.js';
import { runRollback } from '../../core/rollback.js';
import type { CommandHandler } from '../command.js';
import { confirmWrite } from '../confirm.js';
import { openContext } from '../context.js';
import { automaticBackup } from '../backup-choice.js';
import { renderRunSummary } from '../render.js';

export const rollbackCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state, { writes: true });
  try {
    await confirmWrite(cli.yes, `roll back ${cli.phases.map(phaseTitle).join(' and ')} on ${ctx.target.display}`, ctx.target.name);
    const result = await runRollback(ctx.session, { phases: cli.phases, backup: automaticBackup(cli) });
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
