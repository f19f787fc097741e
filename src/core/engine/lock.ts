/**
 * One lock row in _schema_wizard_lock, so two operators (on one machine or two) never run at
 * once. Taking it is one atomic write: create the bookkeeping tables if needed, read the
 * current holder, upsert our row only if the slot is free, expired or already ours.
 */
import os from 'node:os';
import { type Db, num, str } from '../db/index.js';
import { ExitCode, type LockOwner, type OperatorInfo, UserError } from '../model/index.js';
import { BOOKKEEPING_DDL, LOCK_TABLE } from './journal.js';
export type { LockOwner } from '../model/index.js';

export const LOCK_TTL_MS = 10 * 60_000;

export interface LockResult {
  owner: LockOwner;
  /** The expired lock we replaced, if any. */
  tookOverFrom: LockOwner | null;
}

export async function acquireLock(
  db: Db,
  me: OperatorInfo & { runId: string; command: string },
  now: Date = new Date(),
  ttlMs = LOCK_TTL_MS,
): Promise<LockResult> {
  const first = await tryLock(db, me, now, ttlMs, null);
  if (first.holder.runId === me.runId) return { owner: first.holder, tookOverFrom: tookOver(first.before, me) };
  // A holder on this host whose process is gone crashed: take its lock over, naming it. The
  // upsert only matches that exact run id, so a live run that got there first still wins.
  if (holderIsGone(first.holder, os.hostname())) {
    const second = await tryLock(db, me, now, ttlMs, first.holder.runId);
    if (second.holder.runId === me.runId) return { owner: second.holder, tookOverFrom: tookOver(second.before, me) };
    throw lockedError(second.holder, now);
  }
  throw lockedError(first.holder, now);
}

function tookOver(before: LockOwner | null, me: { runId: string }): LockOwner | null {
  return before && before.runId !== me.runId ? before : null;
}

/** One atomic write: bookkeeping tables, the current holder, our upsert if allowed, the holder after. */
async function tryLock(
  db: Db,
  me: OperatorInfo & { runId: string; command: string },
  now: Date,
  ttlMs: number,
  staleRunId: string | null,
): Promise<{ before: LockOwner | null; holder: LockOwner }> {
  const nowIso = now.toISOString();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const results = await db.atomicWrite([
    ...BOOKKEEPING_DDL,
    { sql: `SELECT * FROM ${LOCK_TABLE}` },
    {
      sql:
        `INSERT INTO ${LOCK_TABLE} (id, run_id, host, pid, "user", command, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?) ` +
        'ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, pid = excluded.pid, "user" = excluded."user", ' +
        'command = excluded.command, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at ' +
        `WHERE ${LOCK_TABLE}.expires_at < ? OR ${LOCK_TABLE}.run_id = excluded.run_id OR ${LOCK_TABLE}.run_id = ?`,
      args: [me.runId, me.host, BigInt(me.pid), me.user, me.command, nowIso, expires, nowIso, staleRunId],
    },
    { sql: `SELECT * FROM ${LOCK_TABLE}` },
  ]);
  const before = results[BOOKKEEPING_DDL.length].rows[0];
  const after = results[BOOKKEEPING_DDL.length + 2].rows[0];
  return { before: before ? toOwner(before) : null, holder: toOwner(after) };
}

/** Pushes our expiry forward between steps, so a long run keeps its lock. */
export async function renewLock(db: Db, runId: string, now: Date = new Date(), ttlMs = LOCK_TTL_MS): Promise<void> {
  await db.execute(`UPDATE ${LOCK_TABLE} SET expires_at = ? WHERE id = 1 AND run_id = ?`, [new Date(now.getTime() + ttlMs).toISOString(), runId]);
}

export async function releaseLock(db: Db, runId: string): Promise<void> {
  await db.execute(`DELETE FROM ${LOCK_TABLE} WHERE id = 1 AND run_id = ?`, [runId]);
}

/** Reads the lock without taking it; null when free or when no bookkeeping exists yet. */
async function readLock(db: Db): Promise<LockOwner | null> {
  const exists = await db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [LOCK_TABLE]);
  if (exists.length === 0) return null;
  const rows = await db.query(`SELECT * FROM ${LOCK_TABLE}`);
  return rows[0] ? toOwner(rows[0]) : null;
}

/** The explicit "clear a crashed run's lock" command. Returns who held it. */
export async function clearLock(db: Db): Promise<LockOwner | null> {
  const holder = await readLock(db);
  if (holder) await releaseLock(db, holder.runId);
  return holder;
}

export function describeOwner(owner: LockOwner): string {
  return `run ${owner.runId} (${owner.command}) by ${owner.user}@${owner.host} pid ${owner.pid}, since ${owner.acquiredAt}`;
}

/** True when the holder is a process on this host that no longer exists. */
export function holderIsGone(owner: LockOwner, host: string): boolean {
  if (owner.host !== host) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockedError(holder: LockOwner, now: Date): UserError {
  const message = `Another schema-wizard run holds this database: ${describeOwner(holder)}; its lock expires at ${holder.expiresAt}.`;
  const minutes = Math.max(0, Math.ceil((Date.parse(holder.expiresAt) - now.getTime()) / 60_000));
  const hint = `Wait for it to finish (or for its lock to expire, in ${minutes} min); if that run crashed on another machine, clear its lock with \`schema-wizard unlock --yes\`.`;
  return new UserError(message, { hint, exitCode: ExitCode.failed });
}

/** A lock row as the owner it names (also read by restore's guard, from its own connection). */
export function toOwner(row: Record<string, unknown>): LockOwner {
  return {
    runId: str(row.run_id),
    host: str(row.host),
    pid: num(row.pid),
    user: str(row.user),
    command: str(row.command),
    acquiredAt: str(row.acquired_at),
    expiresAt: str(row.expires_at),
  };
}

/**
 * Releases the run's lock; a release that fails (a reader holds the file, the server went away)
 * is said, not swallowed: the lock would block the next run until it expires.
 */
export async function releaseLockOrSay(db: Db, runId: string, say: (message: string) => void): Promise<void> {
  try {
    await releaseLock(db, runId);
  } catch (error) {
    say(
      `could not release the migration lock (${error instanceof Error ? error.message : String(error)}): the next run will wait until it expires (10 minutes), or clear it now with schema-wizard unlock --yes`,
    );
  }
}
