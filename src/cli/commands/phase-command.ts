/**
 * apply and rollback share one shape: confirm the write, run the phases through the core with
 * the automatic backup, render the folded report.
 */
import { ExitCode, phaseTitle, type BackupProvider, type RunResultSet, type Session } from '../../core/index.js';
import type { CommandLine } from '../args.js';
import { automaticBackup } from '../backup-choice.js';
import type { CommandHandler } from '../command.js';
import { confirmWrite } from '../confirm.js';
import { openContext } from '../context.js';
import { renderRunSummary } from '../render.js';

type RunPhases = (session: Session, cli: CommandLine, backup: BackupProvider | null) => Promise<RunResultSet>;

/** `describe` says what is about to happen to the database, for the confirmation. */
export function phaseCommand(describe: (phases: string, target: string) => string, run: RunPhases): CommandHandler {
  return async (cli, output, signal, state) => {
    const ctx = await openContext(cli, output, signal, state, { writes: true });
    try {
      await confirmWrite(cli.yes, describe(cli.phases.map(phaseTitle).join(' and '), ctx.target.display), ctx.target.name);
      const result = await run(ctx.session, cli, automaticBackup(cli));
      const report = ctx.report();
      const json = { phases: result.phases, backup: result.backup, noBackup: cli.noBackup, report };
      // A stopped run still returns what committed: main prints the error, the JSON keeps the phases.
      if (result.error !== undefined) return { exitCode: ExitCode.failed, json, text: '', error: result.error };
      return { exitCode: 0, json, text: renderRunSummary(report) };
    } finally {
      ctx.close();
    }
  };
}
