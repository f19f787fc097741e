import { UserError } from '../../core/errors.js';
import type { CommandHandler } from '../command.js';
export const verifyCommand: CommandHandler = async () => {
  throw new UserError('verify is not built yet.', { hint: 'Use schema-wizard stats and plan meanwhile.', exitCode: 1 });
};
