/**
 * The maintenance window, headless: the guide's production checklist run through the core,
 * asking a Decider wherever a person must decide. The lock is held for the whole window
 * (renewed on a timer, never a transaction), a verified backup comes before the first write,
 * and every phase is one atomic write, so quitting at any prompt leaves a consistent database.
 */
import {
  activeApplies,
  applyPhase,
  type BackupProvider,
  checkInterrupted,
  inspect,
  InterruptedError,
  keyDecisionError,
  type KeyPolicy,
  planMigration,
  readJournal,
  refuseConflicts,
  holdLock,
  type HeldLock,
  type RunStart,
  type Session,
  takeRunStart,
  timedOutcome,
} from '../engine/index.js';
import { type BackupRef, type ChecklistId, ExitCode, labelOf, toErrorInfo, UserError } from '../model/index.js';
import { PHASES, type PhaseId } from '../sql/index.js';
import { collectStats, runSmoke, runVerify } from '../verify/index.js';
import { takeSnapshot } from '../db/index.js';
import { phaseSummaryWords, phaseTitles as titles } from './plan-words.js';
import { recoveries } from './recovery.js';
import { answerTo, type AskAbout, type Decider } from './questions.js';

import { changesSince, countChangesSince, measureContent } from '../proof/index.js';
import { letMessagesIn, QUIT_IS_AN_ANSWER, Stop, untilStopped } from './stopping.js';
import type { WindowOutcome, WindowResult } from './outcomes.js';
export type { WindowOutcome, WindowResult } from './outcomes.js';

export interface WindowOptions {
  decider: Decider;
  backup: BackupProvider | null;
  /** Closes the session's client (restore replaces a file underneath it). */
  closeDb: () => void;
  /** --hash-plaintext-keys / --keep-plaintext-keys; unset, the operator is asked (a --yes run refuses). */
  keys?: KeyPolicy;
  /** --repair-fts (see PlanOptions). */
  repairFts?: boolean;
}

const describeBackup = (s: RunStart) => (s.backup ? `${s.backup.path} (verified, sha256 ${s.backup.sha256.slice(0, 12)}…)` : 'NO BACKUP (--no-backup)');

export async function runWindow(session: Session, options: WindowOptions): Promise<WindowResult> {
  const { decider } = options;
  let currentItem: ChecklistId | null = null;
  // Every answer says how long it took: the report keeps the operator's time out of the steps'.
  const ask: AskAbout = async (question) => {
    // Once a stop is asked for, nothing more is asked: the window ends where it is.
    await letMessagesIn();
    checkInterrupted(session);
    const asked = performance.now();
    // A stop that comes while the question waits (SIGTERM, SIGHUP: nobody may ever answer) ends it.
    const answer = await untilStopped(decider.ask(question), session.signal);
    session.emit({ type: 'operator-answered', item: currentItem, ms: performance.now() - asked });
    // Ctrl+C then Quit answers "quit" whatever was asked; where "quit" is not an answer (the
    // plaintext-keys decision, a recovery's confirmation) it must never pass for one.
    if (answer === 'quit' && !QUIT_IS_AN_ANSWER.has(question.kind)) {
      throw new Stop(
        'quit',
        `Quit at ${currentItem ? `"${labelOf(currentItem)}"` : question.kind === 'plaintext-keys' ? 'the plaintext-keys decision' : 'the confirmation'}; ${applied.length ? `${titles(applied)} applied` : 'nothing was changed'}.`,
      );
    }
    return answerTo(question, answer);
  };
  let start: RunStart | null = null;
  /** The last backup taken before this run's first write: what a restore goes back to. */
  let preWrite: BackupRef | null = null;
  const beforeFirstWrite = () => preWrite;
  /** Held from the preflight to the end of the window, renewed while the operator decides. */
  let heldLock: HeldLock | null = null;
  const releaseLock = async () => {
    await heldLock?.release();
  };
  /** Phases this run applied and that are still applied. */
  const applied: PhaseId[] = [];
  let keysHashed = false;

  const item = async <T>(id: ChecklistId, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> => {
    await letMessagesIn();
    checkInterrupted(session);
    session.emit({ type: 'item-started', item: id });
    currentItem = id;
    try {
      return await timedOutcome(
        work,
        (outcome, ms) => session.emit({ type: 'item-finished', item: id, outcome, ms }),
        describe,
        (error) => (error instanceof Stop ? error.message : null),
      );
    } finally {
      currentItem = null;
    }
  };
  const skipItem = (id: ChecklistId, reason: string) => {
    session.emit({ type: 'item-started', item: id });
    session.emit({ type: 'item-finished', item: id, outcome: { status: 'not-executed', reason }, ms: 0 });
  };

  const { recoverOrStop } = recoveries({
    session,
    closeDb: options.closeDb,
    ask,
    item,
    applied,
    keysHashed: () => keysHashed,
    latestBackup: () => start?.backup ?? null,
    beforeFirstWrite,
    releaseLock,
  });

  /** Runs an item; on failure asks Retry / Roll back this phase / Restore from backup / Quit. */
  const recoverable = async (id: ChecklistId, phase: PhaseId | null, work: () => Promise<string>): Promise<void> => {
    for (;;) {
      try {
        await item(id, work, (detail) => detail);
        return;
      } catch (error) {
        if (error instanceof Stop || error instanceof InterruptedError) throw error;
        const info = toErrorInfo(error);
        const verificationFailed = error instanceof UserError && error.exitCode === ExitCode.verificationFailed;
        let retry = false;
        while (!retry) {
          // What a roll back would undo: this phase if it is applied (its verification failed),
          // else the last phase this run applied (a phase that failed was rolled back by SQLite).
          const undoable = phase && applied.includes(phase) ? phase : (applied.at(-1) ?? null);
          const answer = await ask({ kind: 'failure', item: id, phase: undoable, error: info, canRestore: beforeFirstWrite() !== null });
          if (answer === 'retry') retry = true;
          else if (answer === 'rollback-phase' && undoable) {
            const done = await recoverOrStop('rollback', [undoable]);
            if (done) throw new Stop('rolled-back', `${done} (after: ${info.message})`);
          } else if (answer === 'restore' && beforeFirstWrite()) {
            const done = await recoverOrStop('restore', []);
            if (done) throw new Stop('restored', `${done} (after: ${info.message})`);
          } else {
            throw new Stop(
              'failed',
              `Stopped at "${labelOf(id)}" with the database as it is (no phase half-applied${applied.length ? `; ${titles(applied)} applied` : ''}): ${info.message}`,
              verificationFailed,
            );
          }
        }
      }
    }
  };

  /** Before a phase: nothing written since the backup, or the operator decides (new backup / go on / quit). */
  /** Phases whose verification passed in this run; an applied phase outside it is said to be unverified. */
  const verified = new Set<PhaseId>();
  const unverifiedNote = () => {
    const open = applied.filter((p) => !verified.has(p));
    return open.length ? ` ${titles(open)} ${open.length === 1 ? 'is' : 'are'} applied but not verified: run \`schema-wizard verify\` on this database.` : '';
  };

  /**
   * Unattended, nobody pauses between the backup and the writes: like `apply`, the window then
   * measures the content once (with the backup) and compares it once, after the last phase.
   * Before each phase it compares the row counts, and inside each phase the row guard holds
   * them. With an operator, who may pause for minutes at any prompt, the content itself is
   * compared before each phase, so a new backup can still be taken in time.
   */
  const compareOnce = decider.by === '--yes';
  /** Applied phases whose content comparison is owed to the last verification (compareOnce). */
  let owed: PhaseId[] = [];

  /** Set once the operator went on despite changes: from then on the accepted content is the baseline. */
  let accepted = false;
  const checkUnchanged = async (phase: PhaseId) => {
    for (;;) {
      const then = accepted ? 'when you went on' : start!.backup ? 'in the backup' : 'when measured';
      // A read of the whole content (seconds on a large file): named on screen while it runs.
      session.emit({ type: 'waiting', wait: { kind: 'content-check', on: session.db.target.display, givesUpMs: 0 } });
      const { changes, now } = await (
        compareOnce
          ? countChangesSince(session.db, start!.digest, then).then((c) => ({ changes: c, now: null }))
          : changesSince(session.db, start!.digest, [], then)
      ).finally(() => session.emit({ type: 'waiting', wait: null }));
      if (changes.length === 0) return;
      const since = accepted
        ? `you went on (${start!.digest.measuredAt})`
        : start!.backup
          ? `the backup (${start!.digest.measuredAt})`
          : `the content was measured (${start!.digest.measuredAt}; there is no backup)`;
      const answer = await ask({ kind: 'content-changed', phase, changes, since });
      if (answer === 'quit')
        throw new Stop(
          'quit',
          `Quit before ${PHASES[phase].title}: rows were written since ${since} (${changes.join('; ')}); ${applied.length ? `${titles(applied)} applied` : 'nothing was changed'}.`,
        );
      if (answer === 'continue') {
        session.emit({
          type: 'operator-confirmed',
          item: phase,
          statement: `Went on with ${PHASES[phase].title} although rows were written since ${since}: ${changes.join('; ')}`,
          by: decider.by,
        });
        // Said only now that it stands (a new backup would have made it moot).
        session.emit({
          type: 'warning',
          message: `Changed since ${since}, and accepted: ${changes.join('; ')}. A restore from the backup would undo these changes.`,
        });
        // The content the operator accepted is what the phases must keep: their proofs compare with it from here.
        const digest = now ?? (await measureContent(session.db, await takeSnapshot(session.db)));
        start = { ...start!, digest: { ...digest, measuredAt: new Date().toISOString() } };
        accepted = true;
        return;
      }
      start = await item('backup', () => takeRunStart(session, options.backup), describeBackup);
      if (applied.length === 0) preWrite = start.backup;
    }
  };

  /**
   * A stop before the last verification, with a phase's content comparison still owed: it is
   * made now, so the ending never leaves an applied phase's content unproven without saying so.
   */
  const settleOwed = async (): Promise<{ note: string; changed: boolean }> => {
    const open = owed.filter((p) => applied.includes(p));
    owed = [];
    if (open.length === 0 || !start) return { note: '', changed: false };
    const phase = open.at(-1)!;
    try {
      const { changes, compared } = await changesSince(session.db, start.digest, keysHashed ? ['users'] : []);
      const ok = changes.length === 0;
      session.emit({
        type: 'rows-checked',
        phase,
        ok,
        detail: ok ? `content of every table equal to the proof measured before the first write (${compared} tables)` : changes.join('; '),
      });
      if (ok) for (const p of open) verified.add(p);
      return ok
        ? { note: ` The content of every table is equal to the proof measured before the first write.`, changed: false }
        : { note: ` Content changed during the run: ${changes.join('; ')}.`, changed: true };
    } catch (error) {
      return {
        note: ` ${titles(open)}'s content could not be compared (${toErrorInfo(error).message}): run \`schema-wizard verify\` on this database.`,
        changed: false,
      };
    }
  };

  const confirm = async (id: ChecklistId, statements: string[]) => {
    await item(
      id,
      async () => {
        for (const statement of statements) {
          if ((await ask({ kind: 'operator', item: id, statement })) !== 'yes')
            throw new Stop('quit', `Quit at: ${statement}${applied.length ? ` (${titles(applied)} applied)` : ' Nothing was changed.'}`);
          session.emit({ type: 'operator-confirmed', item: id, statement, by: decider.by });
        }
        return statements.length;
      },
      () => `confirmed by ${decider.by === 'operator' ? 'the operator' : '--yes'}`,
    );
  };

  const ended = (outcome: WindowOutcome, message: string, verificationFailed = false): WindowResult => ({
    outcome,
    message,
    applied: [...applied],
    ...(verificationFailed ? { verificationFailed } : {}),
  });

  try {
    // 1. Connect and pre-flight: what the database is, drift, the lock, an earlier run that did not finish.
    const found = await item(
      'preflight',
      async () => {
        const snap = await inspect(session);
        const plan = planMigration(snap, ['phase1', 'phase2'], { runId: session.runId });
        session.emit({ type: 'plan-ready', plan });
        // Unattended and no --hash-plaintext-keys / --keep-plaintext-keys: refuse before the lock, the first write.
        const waiting = plan.phases.find((p) => p.decision);
        if (decider.by === '--yes' && waiting?.decision && options.keys === undefined) throw keyDecisionError(waiting.decision.keys);
        const journal = await readJournal(session.db, snap);
        // Renewed on a timer too: the window waits for its operator between writes.
        const lock = await holdLock(session, { renewEveryMs: 60_000 });
        heldLock = lock;
        const p1 = activeApplies(journal, 'phase1')[0];
        const earlier = lock.tookOverFrom;
        let message: string | null = null;
        if (earlier) {
          const kept = journal.filter((e) => e.runId === earlier.runId);
          const what = kept.length
            ? kept.map((e) => `${PHASES[e.phase].title} ${e.action === 'apply' ? 'applied' : 'rolled back'} (journal #${e.id})`).join(', ')
            : 'nothing of its phases (a write in flight was rolled back by SQLite as a whole)';
          message = `An earlier run did not finish: ${earlier.runId} (${earlier.command}) by ${earlier.user}@${earlier.host}, pid ${earlier.pid}, started ${earlier.acquiredAt}, stopped while holding the migration lock. What the database kept: ${what}. This run plans from the database as it is now.`;
        } else if (p1 && plan.phases[1].statements.length > 0) {
          message = `An earlier run (${p1.runId}, by ${p1.operator.user}@${p1.operator.host}, ${p1.finishedAt}) applied Phase 1 and stopped before Phase 2.`;
        }
        if (message) {
          session.emit({ type: 'warning', message });
          if ((await ask({ kind: 'resume', message })) !== 'continue') throw new Stop('quit', 'Quit at the resume prompt; nothing was changed.');
        }
        return { snap, drift: plan.drift.length };
      },
      ({ drift }) =>
        `${session.db.target.display} (${session.db.target.kind}), MCP Memory, ${drift === 0 ? 'no drift' : `${drift} drift item${drift === 1 ? '' : 's'}`}, lock taken`,
    );

    // 2-3. Stats before and the dry run read the database as the lock found it.
    await item(
      'stats-before',
      async () => {
        const stats = await collectStats(session.db, found.snap);
        session.emit({ type: 'stats-taken', when: 'before', stats });
        return stats;
      },
      (s) => `${s.counts.tables} tables, ${s.counts.indexes} indexes, ${s.counts.triggers} triggers, ${s.totalRows} rows`,
    );

    await item(
      'dry-run',
      async () => {
        const plan = planMigration(found.snap, ['phase1', 'phase2'], { runId: session.runId, keys: options.keys, repairFts: options.repairFts });
        session.emit({ type: 'plan-ready', plan });
        // Unattended, nobody can answer the plaintext-keys question: refuse before any write.
        refuseConflicts(plan.phases, { askDecisions: decider.by === 'operator' });
        if ((await ask({ kind: 'review-plan', plan })) !== 'continue')
          throw new Stop('quit', 'Quit after the dry run; nothing was changed and no backup was taken.');
        return plan;
      },
      (plan) => plan.phases.map((p) => `${p.title}: ${phaseSummaryWords(p)} (${p.risk} risk)`).join('; '),
    );

    // 4-5. Services stopped, then the backup: the last read before the first write.
    await confirm('ops-before', ['The team has been notified of the maintenance window.', 'Application services that use this database are stopped.']);
    start = await item(
      'backup',
      async (): Promise<RunStart> => {
        await options.backup?.prepare();
        return takeRunStart(session, options.backup);
      },
      describeBackup,
    );
    preWrite = start.backup;

    // 6. The typed confirmation before the first write.
    await item(
      'confirm',
      async () => {
        const answer = await ask({ kind: 'typed', expected: session.db.target.name, target: session.db.target.display });
        if (answer !== 'confirmed')
          throw new Stop('quit', `Not confirmed; nothing was changed.${start?.backup ? ` The backup just taken is kept: ${start.backup.path}` : ''}`);
        return session.db.target.name;
      },
      (name) => (decider.by === 'operator' ? `typed ${name}` : `confirmed by --yes (${name})`),
    );

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
        // What the decision leaves (users who cannot authenticate, keys that cannot be hashed)
        // is a warning of this run: the end box and the report repeat it.
        for (const message of plan.warnings) session.emit({ type: 'warning', message });
      }
      let answer = plan.statements.length === 0 ? 'continue' : await ask({ kind: 'phase', phase, plan, applied: [...applied] });
      while (answer === 'rollback') {
        if (applied.length === 0) throw new Stop('quit', 'Nothing had been applied, so there was nothing to roll back; nothing was changed.');
        const done = await recoverOrStop('rollback', [...applied]);
        if (done) throw new Stop('rolled-back', done);
        answer = await ask({ kind: 'phase', phase, plan, applied: [...applied] });
      }
      if (answer === 'quit') throw new Stop('quit', `Quit before ${plan.title}; ${applied.length ? `${titles(applied)} applied` : 'nothing was changed'}.`);
      if (answer === 'skip') {
        skipItem(phase, `${plan.title} skipped by the operator`);
        skipItem(verifyItem, `${plan.title} skipped`);
        continue;
      }
      if (plan.statements.length > 0) await checkUnchanged(phase);
      await recoverable(phase, phase, async () => {
        // Fresh snapshot: the operator may have paused at the prompt.
        const { result } = await applyPhase(session, phase, start!, { keys, repairFts: options.repairFts });
        if (result.status === 'success') {
          applied.push(phase);
          if (phase === 'phase2' && keys === 'hash') keysHashed = true;
        }
        return result.status === 'success'
          ? `${result.statements} statements in one atomic write (journal #${result.journalId})`
          : `${PHASES[phase].title} was already applied`;
      });
      await recoverable(verifyItem, phase, async () => {
        // Compared once: after Phase 1 it is owed; Phase 2's verification compares both phases' content.
        const deferContent = compareOnce && phase === 'phase1' && applied.includes(phase);
        const dataOf = [...owed.filter((p) => p !== phase && applied.includes(p)), phase];
        // Strict only for what this run applied: an earlier run's phase has seen the application write since.
        const strictContent = compareOnce ? dataOf.filter((p) => applied.includes(p)) : [];
        const report = await runVerify(session, { phases: [phase], thorough: false, onlyRequestedData: true, dataOf, deferContent, strictContent });
        const compared = deferContent ? [] : dataOf;
        // Owed only by a verification that passed: a failed one ends the window as failed.
        owed = deferContent && report.ok ? [phase] : [];
        const shown = report.checks.filter(
          (c) =>
            c.phase === phase ||
            (c.phase === 'data' && dataOf.some((p) => c.name.endsWith(`(${PHASES[p].title})`))) ||
            c.phase === 'integrity' ||
            c.phase === 'queries' ||
            // A failing schema check decides the outcome too: shown, never hidden behind a vague message.
            (c.phase === 'schema' && c.status === 'fail'),
        );
        session.emit({ type: 'verified', item: verifyItem, ok: report.ok, checks: shown });
        const failed = shown.filter((c) => c.status === 'fail');
        if (!report.ok)
          throw new UserError(
            failed.length
              ? `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.name).join(', ')}`
              : `${PHASES[phase].title} is not applied as planned (verify says ${report.phases[phase]})`,
            {
              exitCode: ExitCode.verificationFailed,
            },
          );
        for (const p of compared) verified.add(p);
        const warned = shown.filter((c) => c.status === 'warn').length;
        return `${shown.filter((c) => c.status === 'pass').length} passed, ${warned} warning${warned === 1 ? '' : 's'}`;
      });
    }

    // Phase 2 skipped (a plaintext-keys decision) after Phase 1's comparison was owed: made now.
    const settled = await settleOwed();
    if (settled.changed) throw new Stop('failed', `Stopped before the smoke tests:${settled.note}`, true);

    // 11. Smoke tests, each ticked as it passes.
    await recoverable('smoke', null, async () => {
      const report = await runSmoke(session, { onTest: (test) => session.emit({ type: 'smoke-tested', test }) });
      if (!report.ok)
        throw new UserError(
          `smoke tests failed: ${report.tests
            .filter((t) => t.status === 'fail')
            .map((t) => `${t.name} (${t.detail})`)
            .join('; ')}`,
          { exitCode: ExitCode.verificationFailed },
        );
      return `${report.tests.length} of ${report.tests.length} passed; their writes were rolled back`;
    });

    // 12. Stats after, next to before.
    await item(
      'stats-after',
      async () => {
        const stats = await collectStats(session.db, await takeSnapshot(session.db));
        session.emit({ type: 'stats-taken', when: 'after', stats });
        return stats;
      },
      (s) => `${s.counts.tables} tables, ${s.counts.indexes} indexes`,
    );

    // 13. Back to service.
    await confirm('ops-after', ['Application services are started again.', 'Logs and performance metrics are being watched.']);
    return ended('complete', 'Migration complete.');
  } catch (error) {
    if (error instanceof Stop) {
      const settled = await settleOwed();
      return ended(error.outcome, error.message + settled.note, error.verificationFailed || settled.changed);
    }
    if (error instanceof InterruptedError)
      return ended('interrupted', `${error.message}${applied.length ? ` ${titles(applied)} applied.` : ' Nothing was changed.'}${unverifiedNote()}`);
    throw error;
  } finally {
    await releaseLock();
  }
}
