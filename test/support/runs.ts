/**
 * The engine's run functions return their failure as a value (RunResultSet.error). Most tests
 * want a run that must succeed: these rethrow that error, so a failed run fails the test loudly
 * (and `rejects.toThrow` still reads a refusal), while the result set stays what they return.
 */
import { runApply, type ApplyOptions, type ApplyResultSet } from '../../src/core/engine/apply.js';
import { runRollback, type RollbackOptions } from '../../src/core/engine/rollback.js';
import type { Session } from '../../src/core/engine/session.js';
import type { RunResultSet } from '../../src/core/model/run-result.js';

export async function applyOrThrow(session: Session, options: ApplyOptions): Promise<ApplyResultSet> {
  return orThrow(await runApply(session, options));
}

export async function rollbackOrThrow(session: Session, options: RollbackOptions): Promise<RunResultSet> {
  return orThrow(await runRollback(session, options));
}

function orThrow<T extends RunResultSet>(result: T): T {
  if (result.error !== undefined) throw result.error;
  return result;
}
