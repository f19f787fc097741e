/** `rollback`: undo phases from the journal, newest first, each as one atomic write; needs --yes. */
import { runRollback } from '../../core/index.js';
import { phaseCommand } from './phase-command.js';

export const rollbackCommand = phaseCommand(
  (phases, target) => `roll back ${phases} on ${target}`,
  (session, cli, backup) => runRollback(session, { phases: cli.phases, backup }),
);
