/** `apply`: verified backup, then each phase as one atomic write, journaled; needs --yes. */
import { runApply } from '../../core/index.js';
import { phaseCommand } from './phase-command.js';

export const applyCommand = phaseCommand(
  (phases, target) => `apply ${phases} to ${target}`,
  (session, cli, backup) => runApply(session, { phases: cli.phases, backup, keys: cli.keys, repairFts: cli.repairFts }),
);
