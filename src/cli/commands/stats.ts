/** `stats`: counts the guide's way, rows per table, sizes. Reads only. */
import { inspect } from '../../core/session.js';
import { collectStats } from '../../core/stats.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';
import { renderStats } from '../render.js';

export const statsCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal);
  state.report = ctx.report;
  try {
    const snapshot = await inspect(ctx.session);
    const stats = await collectStats(ctx.session.db, snapshot);
    return { exitCode: 0, json: { ...stats }, text: renderStats(stats) };
  } finally {
    ctx.close();
  }
};
