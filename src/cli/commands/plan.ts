/** `plan`: the guide's dry run. Reads only; it must not write a byte. */
import { inspect, planMigration, redactUrl } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';
import { renderPlan } from '../render.js';

/** A path as a shell would need it typed back. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export const planCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state);
  try {
    const snapshot = await inspect(ctx.session);
    const plan = planMigration(snapshot, cli.phases, { runId: ctx.session.runId, keys: cli.keys, repairFts: cli.repairFts });
    ctx.session.emit({ type: 'plan-ready', plan });
    const blocked = plan.phases.some((p) => p.status === 'blocked');
    const todo = plan.phases.reduce((n, p) => n + p.statements.length, 0);
    const waiting = plan.phases.some((p) => p.decision) && !plan.phases.some((p) => p.conflicts.length > 0);
    const summary = waiting
      ? 'Phase 2 waits for a decision about plaintext API keys: `apply` refuses it (exit 2) without --hash-plaintext-keys or --keep-plaintext-keys.'
      : blocked
        ? 'Some phase is BLOCKED: `apply` would refuse it and change nothing.'
        : todo === 0
          ? 'Nothing to do: the database is already in the target state.'
          : `Dry run only: nothing was changed. \`schema-wizard apply${cli.db ? ` --db ${shellQuote(redactUrl(cli.db))}` : ''} --phase ${cli.phaseGiven ? cli.phases.map((p) => p.slice(-1)).join(',') : 'all'}${[cli.keys === 'hash' ? ' --hash-plaintext-keys' : '', cli.keys === 'keep' ? ' --keep-plaintext-keys' : '', cli.repairFts ? ' --repair-fts' : ''].join('')} --yes\` would run ${todo} statement${todo === 1 ? '' : 's'}.`;
    return {
      exitCode: 0,
      json: { plan, snapshot: ctx.report().snapshot, plaintextKeys: snapshot.plaintextKeys },
      text: `${renderPlan(plan)}\n\n${summary}`,
    };
  } finally {
    ctx.close();
  }
};
