/** The interactive wizard's entry; the Ink UI lives in src/ui. */
import { ExitCode, UserError } from '../../core/errors.js';
import type { CommandHandler } from '../command.js';

export const wizardCommand: CommandHandler = async () => {
  throw new UserError('The interactive wizard is not built yet.', {
    hint: 'Use the headless commands: plan, apply, verify, stats, rollback (schema-wizard --help).',
    exitCode: ExitCode.usage,
  });
};
