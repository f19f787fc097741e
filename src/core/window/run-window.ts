/**
 * The maintenance window, headless: the guide's production checklist run through the core,
 * asking a Decider wherever a person must decide. The lock is held for the whole window
 * (renewed on a timer, never a transaction), a verified backup comes before the first write,
 * and every phase is one atomic write, so quitting at any prompt leaves a consistent database.
 */
import { applyPhase, keyDecisionError, refuseConflicts, takeRunStart, type RunStart } from '../apply.js';
import type { BackupProvider } from '../backup-provider.js';
import { restoreBackup } from '../backup/restore.js';
import { ExitCode, UserError, toErrorInfo } from '../errors.js';
import { activeApplies, readJournal } from '../journal.js';
import { acquireLock, releaseLockOrSay, renewLock } from '../lock.js';
import { PHASES, type PhaseId } from '../phases.js';
import { planMigration, type KeyPolicy } from '../planner.js';
import { rollbackPhase } from '../rollback.js';
import { InterruptedError, checkInterrupted, inspect, type Session } from '../session.js';
import { runSmoke } from '../smoke.js';
import { takeSnapshot } from '../snapshot.js';
import { collectStats } from '../stats.js';
import { runVerify } from '../verify/verify.js';
import type { ChecklistId } from './checklist.js';
import type { Decider } from './questions.js';

import type { WindowOutcome } from './outcomes.js';
export type { WindowOutcome } from './outcomes.js';

export interface WindowOptions {
  decider: Decider;
  backup: BackupProvider | null;
  /** Closes the session's client (restore replaces a file underneath it). */
  closeDb: () => void;
  /** --hash-plaintext-keys / --keep-plaintext-keys; unset, the operator is asked (a --yes run refuses). */
  keys?: KeyPolicy;
  /** --repair-fts (see PlanOptions). */
  repairFts?: boolean;
  /** --discard-newer: a restore may drop rows written since the backup. */
  discardNewer?: boolean;
}

export interface WindowResult {
  outcome: WindowOutcome;
  message: string;
}

/** Ends the window early, with how and why. */
class Stop extends Error {
  constructor(
    readonly outcome: WindowOutcome,
    message: string,
  ) {
    super(message);
  }
}

const RENEW_EVERY_MS = 60_000;

export async function runWindow(session: Session, options: WindowOptions): Promise<WindowResult> {
  const { decider } = options;
  const ask = decider.ask.bind(decider);
  let start: RunStart | null = null;
  let locked = false;
  let renewTimer: NodeJS.Timeout | undefined;
  const applied: PhaseId[] = [];

  const item = async <T>(id: ChecklistId, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> => {
    checkInterrupted(session);
    session.emit({ type: 'item-started', item: id });
    const started = performance.now();
    try {
      const value = await work();
      session.emit({ type: 'item-finished', item: id, outcome: { status: 'success', ...(describe ? { detail: describe(value) } : {}) }, ms: performance.now() - started });
      return value;
    } catch (error) {
      const outcome = error instanceof Stop ? { status: 'not-executed' as const, reason: error.message } : { status: 'error' as const, error: toErrorInfo(error) };
      session.emit({ type: 'item-finished', item: id, outcome, ms: performance.now() - started });
      throw error;
    }
  };
  const skipItem = (id: ChecklistId, reason: string) => {
    session.emit({ type: 'item-started', item: id });
    session.emit({ type: 'item-finished', item: id, outcome: { status: 'not-executed', reason }, ms: 0 });
  };

  /** Runs an item; on failure asks Retry / Roll back this phase / Restore from backup / Quit. */
  const recoverable = async (id: ChecklistId, phase: PhaseId | null, work: () => Promise<string>): Promise<void> => {
    for (;;) {
      try {
        await item(id, work, (detail) => detail);
        return;
      } catch (error) {
        if (error instanceof Stop || error instanceof InterruptedError) throw error;
        const answer = await ask({ kind: 'failure', item: id, phase, error: toErrorInfo(error), canRestore: start?.backup != null });
        if (answer === 'retry') continue;
        if (answer === 'rollback-phase' && phase) {
          await rollbackPhase(session, phase, start?.backup ?? null);
          throw new Stop('rolled-back', `${PHASES[phase].title} was rolled back after: ${toErrorInfo(error).message}`);
        }
        if (answer === 'restore' && start?.backup) {
          await restoreFromBackup();
          throw new Stop('restored', `The database was restored from ${start.backup.path} after: ${toErrorInfo(error).message}`);
        }
        throw new Stop('quit', `Stopped at "${id}" with the database as it is (no phase half-applied): ${toErrorInfo(error).message}`);
      }
    }
  };

  const restoreFromBackup = async () => {
    const backup = start!.backup!;
    await releaseLockOrSay(session.db, session.runId, (message) => session.emit({ type: 'warning', message }));
    locked = false;
    options.closeDb();
    await restoreBackup({ from: backup.path, target: session.db.target, replace: true, emit: session.emit, discardNewer: options.discardNewer });
  };

  const confirm = async (id: ChecklistId, statements: string[]) => {
    await item(id, async () => {
      for (const statement of statements) {
        if ((await ask({ kind: 'operator', item: id, statement })) !== 'yes') throw new Stop('quit', `Quit at: ${statement}`);
        session.emit({ type: 'operator-confirmed', item: id, statement, by: decider.by });
      }
      return statements.length;
    }, () => `confirmed by ${decider.by === 'operator' ? 'the operator' : '--yes'}`);
  };

  try {
    // 1. Connect and pre-flight: what the database is, drift, an unfinished run, the lock.
    await item('preflight', async () => {
      const snap = await inspect(session);
      const plan = planMigration(snap, ['phase1', 'phase2'], { runId: session.runId });
      session.emit({ type: 'plan-ready', plan });
      // Unattended and no --hash-plaintext-keys / --keep-plaintext-keys: refuse before the lock, the first write.
      const waiting = plan.phases.find((p) => p.decision);
      if (decider.by === '--yes' && waiting?.decision && options.keys === undefined) throw keyDecisionError(waiting.decision.keys);
      const journal = await readJournal(session.db, snap);
      const p1 = activeApplies(journal, 'phase1')[0];
      if (p1 && plan.phases[1].statements.length > 0) {
        const message = `An earlier run (${p1.runId}, by ${p1.operator.user}@${p1.operator.host}, ${p1.finishedAt}) applied Phase 1 and stopped before Phase 2.`;
        session.emit({ type: 'warning', message });
        if ((await ask({ kind: 'resume', message })) !== 'continue') throw new Stop('quit', 'Quit at the resume prompt; nothing was changed.');
      }
      const lock = await acquireLock(session.db, { ...session.operator, runId: session.runId, command: 'wizard' });
      locked = true;
      session.emit({ type: 'lock-acquired', owner: lock.owner, tookOverFrom: lock.tookOverFrom });
      renewTimer = setInterval(() => void renewLock(session.db, session.runId).catch(() => undefined), RENEW_EVERY_MS);
      renewTimer.unref();
      return { snap, drift: plan.drift.length };
    }, ({ drift }) => `${session.db.target.display} (${session.db.target.kind}), MCP Memory, ${drift === 0 ? 'no drift' : `${drift} drift item${drift === 1 ? '' : 's'}`}, lock taken`);

    // 2. Backup (verified) before any write; its verification measures the content "before".
    start = await item('backup', async (): Promise<RunStart> => {
      await options.backup?.prepare();
      return takeRunStart(session, options.backup);
    }, (s) => (s.backup ? `${s.backup.path} (verified, sha256 ${s.backup.sha256.slice(0, 12)}…)` : 'NO BACKUP (--no-backup)'));

    // 3-4. Stats before and the dry run read the snapshot the backup was taken from: under the
    // lock nothing has changed since.
    const found = start.snapshot;
    await item('stats-before', async () => {
      const stats = await collectStats(session.db, found);
      session.emit({ type: 'stats-taken', when: 'before', stats });
      return stats;
    }, (s) => `${s.counts.tables} tables, ${s.counts.indexes} indexes, ${s.counts.triggers} triggers, ${s.totalRows} rows`);

    // 4. Dry run: the plan, its risks, drift and warnings.
    await item('dry-run', async () => {
      const plan = planMigration(found, ['phase1', 'phase2'], { runId: session.runId, keys: options.keys, repairFts: options.repairFts });
      session.emit({ type: 'plan-ready', plan });
      // Unattended, nobody can answer the plaintext-keys question: refuse before any write.
      refuseConflicts(plan.phases, { askDecisions: decider.by === 'operator' });
      if ((await ask({ kind: 'review-plan', plan })) !== 'continue') throw new Stop('quit', 'Quit after the dry run; nothing was changed.');
      return plan;
    }, (plan) => plan.phases.map((p) => `${p.title}: ${p.statements.length} statements (${p.risk} risk)`).join('; '));

    // 5-6. What only a person can do, then the typed confirmation before the first write.
    await confirm('ops-before', ['The team has been notified of the maintenance window.', 'Application services that use this database are stopped.']);
    await item('confirm', async () => {
      const answer = await ask({ kind: 'typed', expected: session.db.target.name, target: session.db.target.display });
      if (answer !== 'confirmed') throw new Stop('quit', 'Not confirmed; nothing was changed.');
      return session.db.target.name;
    }, (name) => `typed ${name}`);

    // 7-10. Each phase, then its verification.
    for (const phase of ['phase1', 'phase2'] as const) {
      const verifyItem: ChecklistId = phase === 'phase1' ? 'verify1' : 'verify2';
      const now = await takeSnapshot(session.db);
      let keys = options.keys;
      let plan = planMigration(now, [phase], { runId: session.runId, keys, repairFts: options.repairFts }).phases[0];
      if (plan.decision) {
        const choice = await ask({ kind: 'plaintext-keys', keys: plan.decision.keys, hasBackup: start.backup !== null });
        if (choice === 'skip') {
          skipItem(phase, `${plan.title} skipped: ${plan.decision.keys.count} plaintext API keys would lock users out`);
          skipItem(verifyItem, `${plan.title} skipped`);
          continue;
        }
        keys = choice;
        plan = planMigration(now, [phase], { runId: session.runId, keys, repairFts: options.repairFts }).phases[0];
      }
      const answer = plan.statements.length === 0 ? 'continue' : await ask({ kind: 'phase', phase, plan, applied: [...applied] });
      if (answer === 'quit') throw new Stop('quit', `Quit before ${plan.title}; ${applied.length ? `${applied.map((p) => PHASES[p].title).join(', ')} applied` : 'nothing was changed'}.`);
      if (answer === 'rollback') {
        for (const done of [...applied].reverse()) await rollbackPhase(session, done, start.backup);
        throw new Stop('rolled-back', applied.length ? `Rolled back ${applied.map((p) => PHASES[p].title).join(' and ')} at the operator's request.` : 'Nothing had been applied; nothing to roll back.');
      }
      if (answer === 'skip') {
        skipItem(phase, `${plan.title} skipped by the operator`);
        skipItem(verifyItem, `${plan.title} skipped`);
        continue;
      }
      await recoverable(phase, phase, async () => {
        // Fresh snapshot: the operator may have paused at the prompt.
        const { result } = await applyPhase(session, phase, start!, { keys, repairFts: options.repairFts });
        if (result.status === 'applied') applied.push(phase);
        return result.status === 'applied' ? `${result.statements} statements in one atomic write (journal #${result.journalId})` : `${PHASES[phase].title} was already applied`;
      });
      await recoverable(verifyItem, phase, async () => {
        const report = await runVerify(session, { phases: [phase], thorough: false });
        const title = `(${PHASES[phase].title})`;
        const shown = report.checks.filter((c) => c.phase === phase || (c.phase === 'data' && c.name.endsWith(title)) || c.phase === 'integrity' || c.phase === 'queries');
        session.emit({ type: 'verified', item: verifyItem, ok: report.ok, checks: shown });
        const failed = shown.filter((c) => c.status === 'fail');
        if (!report.ok) throw new UserError(`${failed.length || 'some'} checks failed: ${failed.map((c) => c.name).join(', ') || 'phase pending'}`, { exitCode: ExitCode.verificationFailed });
        const warned = shown.filter((c) => c.status === 'warn').length;
        return `${shown.filter((c) => c.status === 'pass').length} passed, ${warned} warning${warned === 1 ? '' : 's'}`;
      });
    }

    // 11. Smoke tests, each ticked as it passes.
    await recoverable('smoke', null, async () => {
      const report = await runSmoke(session, { onTest: (test) => session.emit({ type: 'smoke-tested', test }) });
      if (!report.ok) throw new UserError(`smoke tests failed: ${report.tests.filter((t) => t.status === 'fail').map((t) => `${t.name} (${t.detail})`).join('; ')}`, { exitCode: ExitCode.verificationFailed });
      return `${report.tests.length} of ${report.tests.length} passed; their writes were rolled back`;
    });

    // 12. Stats after, next to before.
    await item('stats-after', async () => {
      const stats = await collectStats(session.db, await takeSnapshot(session.db));
      session.emit({ type: 'stats-taken', when: 'after', stats });
      return stats;
    }, (s) => `${s.counts.tables} tables, ${s.counts.indexes} indexes`);

    // 13. Back to service.
    await confirm('ops-after', ['Application services are started again.', 'Logs and performance metrics are being watched.']);
    return { outcome: 'complete', message: 'Migration complete.' };
  } catch (error) {
    if (error instanceof Stop) return { outcome: error.outcome, message: error.message };
    if (error instanceof InterruptedError) return { outcome: 'interrupted', message: error.message };
    throw error;
  } finally {
    if (renewTimer) clearInterval(renewTimer);
    if (locked) await releaseLockOrSay(session.db, session.runId, (message) => session.emit({ type: 'warning', message }));
    if (locked) session.emit({ type: 'lock-released' });
  }
}
