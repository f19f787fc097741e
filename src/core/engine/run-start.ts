/**
 * A locked run's lifecycle, shared by apply and rollback: take the lock, then the verified
 * backup (or, with --no-backup, the content digest measured directly), run the work, and always
 * release the lock. The wizard's window takes its run start through takeRunStart too.
 */
import type { BackupProvider } from './backup-provider.js';
import { type ContentDigest, measureContent, withAggregates } from '../proof/index.js';
import {
  codeOf,
  notReached,
  type BackupRef,
  type LockOwner,
  type PhaseResult,
  type RunResultSet,
  type Snapshot,
  toErrorInfo,
  WRITE_OUTCOME_UNKNOWN,
} from '../model/index.js';
import { phaseTitle, type PhaseId } from '../sql/index.js';
import { hasJournal, JOURNAL_TABLE, LOCK_TABLE } from './journal.js';
import { dropKeyHashes } from './key-hashing.js';
import { acquireLock, LOCK_TTL_MS, releaseLockOrSay, renewLock } from './lock.js';
import { checkInterrupted, step, type Session } from './session.js';
import { takeSnapshot } from '../db/index.js';

/** What a locked run starts from: its backup (if any) and the content measured before any write. */
export interface RunStart {
  backup: BackupRef | null;
  digest: ContentDigest & { measuredAt: string };
  /** The database as the run found it under the lock (what the backup and digest read). */
  snapshot: Snapshot;
}

/** The migration lock as a run holds it: renewed when due, released (and said) once. */
export interface HeldLock {
  tookOverFrom: LockOwner | null;
  /**
   * Pushes the expiry forward once half its time has passed since the last renewal: a run keeps
   * its lock through a long backup or phase, and a short run spends no request on it.
   */
  renewIfDue(): Promise<void>;
  /** Releases once (later calls do nothing); a release that fails is said as a warning. */
  release(): Promise<void>;
}

/**
 * `renewEveryMs`: also renew on a timer, for a run that waits for a person between its writes
 * (the wizard's window). Never for a run that is busy: on a local file a renewal waits on the
 * main thread for the run's own backup reader (measured: the event loop blocked 2 s, and the
 * renewal failed once the copy outlasted --busy-timeout); such a run renews between its steps.
 */
export async function holdLock(session: Session, { renewEveryMs }: { renewEveryMs?: number } = {}): Promise<HeldLock> {
  const lock = await acquireLock(session.db, { ...session.operator, runId: session.runId, command: session.command });
  session.emit({ type: 'lock-acquired', owner: lock.owner, tookOverFrom: lock.tookOverFrom });
  let renewedAt = performance.now();
  let held = true;
  const renew = async () => {
    if (!held) return;
    await renewLock(session.db, session.runId);
    renewedAt = performance.now();
  };
  const timer = renewEveryMs ? setInterval(() => void renew().catch(() => undefined), renewEveryMs) : undefined;
  timer?.unref();
  return {
    tookOverFrom: lock.tookOverFrom,
    renewIfDue: async () => {
      if (performance.now() - renewedAt >= LOCK_TTL_MS / 2) await renew();
    },
    release: async () => {
      if (!held) return;
      held = false;
      clearInterval(timer);
      await releaseLockOrSay(session.db, session.runId, (message) => session.emit({ type: 'warning', message }));
      session.emit({ type: 'lock-released' });
    },
  };
}

/**
 * Takes the lock, then the run start, runs `work`, and always releases the lock. Bookkeeping
 * tables created by a run that failed before writing anything are removed again. `started`
 * hears the run start as soon as it exists, so a caller still has the backup when work fails.
 */
export async function withLock<T>(
  session: Session,
  snapshot: Snapshot,
  provider: BackupProvider | null,
  work: (start: RunStart, lock: HeldLock) => Promise<T>,
  started?: (start: RunStart) => void,
): Promise<T> {
  if (provider) await provider.prepare();
  checkInterrupted(session);
  const hadBookkeeping = hasJournal(snapshot);
  const lock = await step(session, 'lock', 'Take the migration lock', () => holdLock(session));
  const earlier = lock.tookOverFrom;
  if (earlier) {
    session.emit({
      type: 'warning',
      message: `took over the lock of run ${earlier.runId} by ${earlier.user}@${earlier.host} pid ${earlier.pid} (expired, or its process is gone): that run did not finish; this one re-plans from the database as it is`,
    });
  }
  let failed = false;
  let outcomeUnknown = false;
  try {
    const start = await takeRunStart(session, provider);
    started?.(start);
    await lock.renewIfDue();
    checkInterrupted(session);
    return await work(start, lock);
  } catch (error) {
    failed = true;
    outcomeUnknown = codeOf(error) === WRITE_OUTCOME_UNKNOWN;
    throw error;
  } finally {
    await dropKeyHashes(session).catch(() => undefined);
    await lock.release();
    // Tables this run created for its lock go again if no phase reached the journal. Never after
    // a write whose outcome is unknown: it may still commit on the server, journal entry and all.
    if (!hadBookkeeping && !outcomeUnknown) await dropUnusedBookkeeping(session, failed).catch(() => undefined);
  }
}

/**
 * The backup (its verification measures the content digest) or, with --no-backup, the digest
 * measured directly: what every journal entry of the run records as "before". The caller holds
 * the lock and has called provider.prepare().
 */
export async function takeRunStart(session: Session, provider: BackupProvider | null): Promise<RunStart> {
  const measuredAt = new Date().toISOString();
  const snapshot = await takeSnapshot(session.db);
  if (!provider) {
    session.emit({ type: 'backup-skipped', reason: '--no-backup was given: there is NO backup of this run; only the journal can undo it.' });
    const digest = await step(
      session,
      'check',
      'Measure the content before writing',
      async () => withAggregates(session.db, snapshot, await measureContent(session.db, snapshot)),
      (d) => `${Object.keys(d.tables).length} tables hashed`,
    );
    return { backup: null, digest: { ...digest, measuredAt }, snapshot };
  }
  const taken = await backupStep(session, () => provider.take(session.db, snapshot, session.emit));
  return { backup: taken.ref, digest: { ...taken.digest, measuredAt }, snapshot };
}

/** The backup as a reported step: its start, its path once verified, and the backup-taken event. */
export async function backupStep<T extends { ref: BackupRef }>(session: Session, take: () => Promise<T>): Promise<T> {
  return step(
    session,
    'backup',
    'Back up the database',
    async () => {
      const taken = await take();
      session.emit({ type: 'backup-taken', backup: taken.ref });
      return taken;
    },
    (taken) => taken.ref.path,
  );
}

/**
 * A run that finished knows whether it journaled (a journal INSERT was sent and its write
 * succeeded): no request is spent asking. A run that failed may have sent one that rolled back,
 * so it counts the journal's rows first.
 */
async function dropUnusedBookkeeping(session: Session, failed: boolean): Promise<void> {
  const journaled = session.db.sent.some((sql) => sql.startsWith(`INSERT INTO ${JOURNAL_TABLE} `));
  if (!failed && journaled) return;
  if (failed && journaled) {
    const rows = await session.db.query(`SELECT count(*) AS n FROM ${JOURNAL_TABLE}`);
    if (Number(rows[0].n) > 0) return;
  }
  await session.db.atomicWrite([{ sql: `DROP TABLE ${JOURNAL_TABLE}` }, { sql: `DROP TABLE ${LOCK_TABLE}` }]);
}

/** One phase of a run, written: its result, and the row check that gives the database after it. */
export interface WrittenStep {
  result: PhaseResult;
  rowsAfter: () => Promise<Snapshot>;
}

export interface PhaseSet {
  action: PhaseResult['action'];
  /** The phases in the order they run. */
  order: PhaseId[];
  provider: BackupProvider | null;
  /** Reads and plans before the lock: the snapshot, or the results when no phase has anything to do. */
  prepare: () => Promise<{ snapshot: Snapshot; idle: PhaseResult[] | null }>;
  write: (phase: PhaseId, start: RunStart, current: Snapshot) => Promise<WrittenStep>;
  /** After the last phase, still under the lock (apply's content proof). */
  finish?: (start: RunStart, results: PhaseResult[]) => Promise<void>;
}

/**
 * apply and rollback: plan, then every phase under one lock and one backup, each planned from the
 * snapshot the previous step already took. Never throws: what committed, the phase that failed
 * and the phases never reached come back with the error.
 */
export async function runPhaseSet(session: Session, set: PhaseSet): Promise<RunResultSet> {
  const results: PhaseResult[] = [];
  let backup: BackupRef | null = null;
  let inFlight: PhaseId | null = null;
  try {
    const { snapshot, idle } = await set.prepare();
    if (idle) return { phases: idle, backup: null };
    await withLock(
      session,
      snapshot,
      set.provider,
      async (start, lock) => {
        let current = start.snapshot;
        for (const phase of set.order) {
          checkInterrupted(session);
          inFlight = phase;
          const written = await set.write(phase, start, current);
          results.push(written.result);
          inFlight = null;
          current = await written.rowsAfter();
          await lock.renewIfDue();
        }
        await set.finish?.(start, results);
      },
      (start) => (backup = start.backup),
    );
    return { phases: results, backup };
  } catch (error) {
    if (inFlight) results.push({ phase: inFlight, action: set.action, status: 'error', statements: 0, journalId: null, detail: toErrorInfo(error).message });
    return { phases: [...results, ...notReached(set.action, set.order, results, phaseTitle)], backup, error };
  }
}
