import { UserError } from '../../core/errors.js';
import type { CommandHandler } from '../command.js';
export const smokeCommand: CommandHandler = async () => {
  throw new UserError('smoke is not built yet.', { hint: 'Use schema-wizard stats and plan meanwhile.', exitCode: 1 });
};
