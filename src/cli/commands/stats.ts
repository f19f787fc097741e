/** `stats`: counts the guide's way, rows per table, sizes, and measured before/after. Reads only. */
import { collectStats, impactOf, inspect, readJournal } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';
import { renderImpact, renderStats } from '../render.js';

export const statsCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state);
  try {
    const snapshot = await inspect(ctx.session);
    const stats = await collectStats(ctx.session.db, snapshot);
    const impact = impactOf(await readJournal(ctx.session.db, snapshot), stats);
    return {
      exitCode: 0,
      json: { ...stats, impact },
      text: [renderStats(stats), impact ? `\n${renderImpact(impact)}` : ''].join('\n'),
    };
  } finally {
    ctx.close();
  }
};
