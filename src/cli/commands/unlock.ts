/** `unlock --yes`: clears the lock a crashed run left behind, and says whose it was. */
import { describeOwner, clearLock } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { confirmWrite } from '../confirm.js';
import { openContext } from '../context.js';

export const unlockCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state, { writes: true });
  try {
    await confirmWrite(cli.yes, `clear the schema-wizard lock on ${ctx.target.display}`, ctx.target.name);
    const holder = await clearLock(ctx.session.db);
    return {
      exitCode: 0,
      json: { cleared: holder !== null, holder },
      text: holder ? `Cleared the lock of ${describeOwner(holder)}.` : 'No lock was held.',
    };
  } finally {
    ctx.close();
  }
};
