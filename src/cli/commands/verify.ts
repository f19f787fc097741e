/** `verify`: every promise as a check (exit 3 on a failure or a pending requested phase); `--info`: schema information. */
import { collectStats, ExitCode, inspect, runVerify } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';
import { renderChecks, renderStats } from '../render.js';

export const verifyCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state);
  try {
    if (cli.info) {
      const snapshot = await inspect(ctx.session);
      const stats = await collectStats(ctx.session.db, snapshot);
      const triggers = snapshot.triggers.filter((t) => stats.triggers.includes(t.name)).map((t) => `  ${t.table.padEnd(20)} ${t.name}`);
      return {
        exitCode: 0,
        json: { ...stats },
        text: `${renderStats(stats)}\n\nTriggers by table:\n${triggers.join('\n') || '  none'}`,
      };
    }
    const report = await runVerify(ctx.session, { phases: cli.phases, thorough: cli.thorough });
    const counts = ['pass', 'warn', 'fail', 'pending'].map((s) => `${report.checks.filter((c) => c.status === s).length} ${s}`).join(', ');
    const verdict = report.ok ? `All requested checks passed (${counts}).` : `Verification FAILED (${counts}).`;
    return {
      exitCode: report.ok ? ExitCode.ok : ExitCode.verificationFailed,
      json: { ok: report.ok, checks: report.checks, phases: report.phases },
      text: `${renderChecks(report.checks)}\n\n${verdict}`,
    };
  } finally {
    ctx.close();
  }
};
