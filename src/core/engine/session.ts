/**
 * What every command run carries: the open database, who runs it, the event sink, and the
 * signal that Ctrl+C raises (checked between steps; a phase in flight always finishes or
 * rolls back as a whole).
 */
import { assertMcpMemory, type Db, guideTables, isBookkeeping, namedIndexes, rowCounts, takeSnapshot, userTriggers } from '../db/index.js';
import { type Emit, ExitCode, type OperatorInfo, type Outcome, type Snapshot, type StepName, toErrorInfo, UserError } from '../model/index.js';

export interface Session {
  db: Db;
  emit: Emit;
  runId: string;
  command: string;
  operator: OperatorInfo;
  toolVersion: string;
  signal?: AbortSignal;
}

export class InterruptedError extends UserError {
  constructor() {
    super('Interrupted: stopped between steps; no phase was left half-done.', {
      hint: 'Run the same command again to continue where it stopped.',
      exitCode: ExitCode.interrupted,
    });
    this.name = 'InterruptedError';
  }
}

export function checkInterrupted(session: Session): void {
  if (session.signal?.aborted) throw new InterruptedError();
}

/** Runs one named step, emitting its start and its outcome as a value; rethrows on error. */
export async function step<T>(session: Session, name: StepName, label: string, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
  session.emit({ type: 'step-started', step: name, label });
  return timedOutcome(work, (outcome, ms) => session.emit({ type: 'step-finished', step: name, outcome, ms }), describe);
}

/**
 * Runs work and hands its outcome, as a value, and its time to `finished` (steps and the
 * window's checklist items both report this way); rethrows on error. `notExecuted` names an
 * error that means "stopped on purpose" rather than "failed".
 */
export async function timedOutcome<T>(
  work: () => Promise<T>,
  finished: (outcome: Outcome, ms: number) => void,
  describe?: (value: T) => string,
  notExecuted?: (error: unknown) => string | null,
): Promise<T> {
  const started = performance.now();
  try {
    const value = await work();
    finished({ status: 'success', ...(describe ? { detail: describe(value) } : {}) }, performance.now() - started);
    return value;
  } catch (error) {
    const reason = notExecuted?.(error) ?? null;
    finished(reason !== null ? { status: 'not-executed', reason } : { status: 'error', error: toErrorInfo(error) }, performance.now() - started);
    throw error;
  }
}

/** Snapshot + "is this MCP Memory?" check, reported as the inspect step. */
export async function inspect(session: Session): Promise<Snapshot> {
  return step(
    session,
    'inspect',
    'Inspect the database',
    async () => {
      const snapshot = await takeSnapshot(session.db);
      assertMcpMemory(snapshot, session.db.target.display);
      // Nothing of ours carries a trigger: one planted on the lock or journal table would fire on
      // the run's first write (taking the lock), before any row check could see what it did.
      const planted = snapshot.triggers.filter((t) => isBookkeeping(t.table));
      if (planted.length > 0) {
        throw new UserError(
          `${session.db.target.display} has ${planted.map((t) => `trigger ${t.name} on ${t.table}`).join(', ')}: schema-wizard's bookkeeping tables never carry triggers, so this one was planted. Nothing was changed.`,
          {
            hint: `Inspect it (sqlite3: SELECT sql FROM sqlite_schema WHERE name = '${planted[0].name}'), drop it, then run again.`,
            exitCode: ExitCode.failed,
          },
        );
      }
      session.emit({
        type: 'snapshot-taken',
        summary: {
          tables: guideTables(snapshot).length,
          indexes: namedIndexes(snapshot).length,
          triggers: userTriggers(snapshot).length,
          views: snapshot.views.length,
          rows: rowCounts(snapshot),
        },
      });
      return snapshot;
    },
    (s) => `${guideTables(s).length} tables, ${namedIndexes(s).length} indexes`,
  );
}

/** The last write's lock window, rounded to 0.1 ms, as an optional field. */
export function lockMsOf(session: Session): { lockMs?: number } {
  const ms = session.db.lastWriteLockMs;
  return ms === null ? {} : { lockMs: Math.round(ms * 10) / 10 };
}
