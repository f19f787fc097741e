/**
 * The recoveries the operator can choose in the window: roll back what this run applied, or
 * restore the backup taken before its first write. Each is said in full and confirmed, runs as
 * its own checklist item, and ends the window with what is true; one that fails ends it as a
 * failure saying what stays applied.
 */
import { restoreBackup } from '../backup/index.js';
import { InterruptedError, rollbackPhase, type Session } from '../engine/index.js';
import { type BackupRef, type ChecklistId, toErrorInfo } from '../model/index.js';
import type { PhaseId } from '../sql/index.js';
import { phaseTitles as titles } from './plan-words.js';
import type { AskAbout } from './questions.js';
import { Stop } from './stopping.js';

export interface RecoveryContext {
  session: Session;
  closeDb: () => void;
  ask: AskAbout;
  item: <T>(id: ChecklistId, work: () => Promise<T>, describe?: (value: T) => string) => Promise<T>;
  /** The phases this run applied and that are still applied: updated in place. */
  applied: PhaseId[];
  keysHashed: () => boolean;
  /** The newest backup of the run (a roll back keeps it for its journal entry). */
  latestBackup: () => BackupRef | null;
  /** The backup taken before the run's first write: what a restore goes back to. */
  beforeFirstWrite: () => BackupRef | null;
  /** Releases the run's lock (a restore replaces the file, lock table included). */
  releaseLock: () => Promise<void>;
}

export function recoveries(ctx: RecoveryContext) {
  const { session, ask, item, applied } = ctx;

  const restoreFromBackup = async (backup: BackupRef) => {
    await ctx.releaseLock();
    ctx.closeDb();
    // The operator confirmed a restore that says it loses everything written since the backup.
    await restoreBackup({ from: backup.path, target: session.db.target, replace: true, emit: session.emit, discardNewer: true });
  };

  /**
   * A recovery the operator chose: said in full (what it does, what it loses) and confirmed
   * before it runs, then run as its own checklist step. Resolves with the ending's message, or
   * null when the operator went back.
   */
  const recover = async (action: 'rollback' | 'restore', phases: PhaseId[]): Promise<string | null> => {
    // A restore goes back to before this run's first write: the backup taken then, never a
    // newer one taken between phases (that one holds the phases already applied).
    const backup = action === 'restore' ? ctx.beforeFirstWrite() : ctx.latestBackup();
    if (action === 'restore' && !backup) return null;
    const question =
      action === 'rollback'
        ? {
            summary: `Roll back ${titles(phases)}: each phase is undone from the journal in one atomic write, newest first; learned_patterns comes back with every row.`,
            loses: `No row is lost.${ctx.keysHashed() && phases.includes('phase2') ? ' The API keys Phase 2 hashed stay hashed: only the backup holds the originals.' : ''}`,
          }
        : {
            summary: `Replace ${session.db.target.display} with the backup ${backup!.path}, after checking it against its manifest.`,
            loses: `Everything written since the backup: what this run applied${applied.length ? ` (${titles(applied)})` : ''} and any row written since. The replaced database is kept beside it until you remove it.`,
          };
    if ((await ask({ kind: 'confirm-recovery', action, ...question })) !== 'confirmed') return null;
    if (action === 'rollback') {
      await item(
        'rollback',
        async () => {
          for (const phase of [...phases].reverse()) {
            await rollbackPhase(session, phase, backup);
            applied.splice(applied.indexOf(phase), 1);
          }
        },
        () => `${titles(phases)} rolled back`,
      );
      return applied.length === 0
        ? `${titles(phases)} rolled back: the database is as it was before this run.`
        : `${titles(phases)} rolled back; ${titles(applied)} stays applied.`;
    }
    await item(
      'restore',
      () => restoreFromBackup(backup!),
      () => `${backup!.path} restored and verified`,
    );
    applied.length = 0;
    return `Restored from ${backup!.path}: the database is as it was when the backup was taken, before this run's first write.`;
  };

  /**
   * A recovery that fails ends the window as a failure that says where things stand: a restore
   * replaces the file only once its copy is proven, and a roll back is one atomic write, so
   * what this run applied is still applied. Never a bare error without its end box and report.
   */
  const recoverOrStop = async (action: 'rollback' | 'restore', phases: PhaseId[]): Promise<string | null> => {
    try {
      return await recover(action, phases);
    } catch (error) {
      if (error instanceof Stop || error instanceof InterruptedError) throw error;
      const info = toErrorInfo(error);
      const state = applied.length ? `${titles(applied)} stays applied` : 'nothing this run applied remains';
      throw new Stop(
        'failed',
        `${action === 'restore' ? 'The restore' : 'The roll back'} failed and changed nothing (${state}): ${info.message}${info.hint ? ` Fix: ${info.hint}` : ''}`,
      );
    }
  };

  return { recoverOrStop };
}
