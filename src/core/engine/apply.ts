/**
 * Apply: each phase is ONE atomic write whose first statement is its journal entry, so a crash
 * at any moment leaves the database wholly before or wholly after the phase, journal included.
 * The plan is recomputed under the lock, right before the write, from a fresh snapshot.
 */
import type { BackupProvider } from './backup-provider.js';
import { changesSince } from '../proof/index.js';
import { readCascadeCounts } from './cascade-evidence.js';
import { findTable, rowCounts, type Stmt, takeSnapshot } from '../db/index.js';
import { ExitCode, type PhaseResult, type PlaintextKeys, type RunResultSet, type Snapshot, toErrorInfo, UserError } from '../model/index.js';
import { beforeStatsOf, journalInsert } from './journal.js';
import type { PhaseId } from '../sql/index.js';
import { keyHashesCommitted, keyHashStatements, prepareKeyHashes } from './key-hashing.js';
import { describeUnhashable } from './plan-keys.js';
import { planMigration, type KeyPolicy, type Plan, type PhasePlan } from './planner.js';
import { countWarmUp, rowGuard } from './row-guard.js';
import { runPhaseSet, type RunStart } from './run-start.js';
import { inspect, lockMsOf, step, type Session } from './session.js';

export interface ApplyResultSet extends RunResultSet {
  /** The plan as the run made it before taking the lock; null when it stopped before planning. */
  plan: Plan | null;
}

export interface ApplyOptions {
  phases: PhaseId[];
  /** null means --no-backup: the report says loudly that there is none. */
  backup: BackupProvider | null;
  /**
   * Plaintext API keys at Phase 2: 'hash' replaces them by their SHA-256 hex inside the phase's
   * write (undone only by the backup); 'keep' renames anyway. Unset, Phase 2 refuses (exit 2).
   */
  keys?: KeyPolicy;
  /** --repair-fts: recreate a missing FTS table that triggers still write to, at the start of the first phase. */
  repairFts?: boolean;
}

/** Applies the phases, in order, under one lock and one backup. Never throws: a failure is the result set's `error`. */
export async function runApply(session: Session, options: ApplyOptions): Promise<ApplyResultSet> {
  let plan: Plan | null = null;
  const set = await runPhaseSet(session, {
    action: 'apply',
    order: options.phases,
    provider: options.backup,
    prepare: async () => {
      const snapshot = await inspect(session);
      plan = planMigration(snapshot, options.phases, { runId: session.runId, keys: options.keys, repairFts: options.repairFts });
      session.emit({ type: 'plan-ready', plan });
      refuseConflicts(plan.phases);
      refusePointlessHashing(plan, snapshot, options.keys);
      const idle = plan.phases.every((p) => p.statements.length === 0);
      return { snapshot, idle: idle ? plan.phases.map((p) => alreadyApplied(session, p)) : null };
    },
    write: async (phase, start, current) => {
      const written = await writePhase(session, phase, start, { snapshot: current, keys: options.keys, repairFts: options.repairFts });
      return { result: written.result, rowsAfter: () => rowsKeptAfter(session, written) };
    },
    finish: (start, results) => proveContentKept(session, start, results, options.keys === 'hash'),
  });
  return { plan, ...set };
}

function refusePointlessHashing(plan: Plan, snapshot: Snapshot, keys: KeyPolicy | undefined): void {
  const phase2 = plan.phases.find((p) => p.phase === 'phase2');
  if (keys === 'hash' && snapshot.plaintextKeys?.count && (!phase2 || phase2.statements.length === 0)) {
    throw new UserError('--hash-plaintext-keys hashes keys only as part of applying Phase 2, and Phase 2 has nothing to apply here; nothing was changed.', {
      hint: 'Roll Phase 2 back (schema-wizard rollback --phase 2 --yes), then apply it again with --hash-plaintext-keys.',
      exitCode: ExitCode.usage,
    });
  }
}

function alreadyApplied(session: Session, plan: PhasePlan): PhaseResult {
  const detail = `${plan.title} is already applied`;
  session.emit({
    type: 'phase-finished',
    phase: plan.phase,
    action: 'apply',
    outcome: { status: 'not-executed', reason: detail },
    statements: 0,
    journalId: null,
  });
  return { phase: plan.phase, action: 'apply', status: 'not-executed', statements: 0, journalId: null, detail };
}

/** A phase's committed write (or its "nothing to do"), with what its row check compares against. */
interface WrittenPhase {
  result: PhaseResult;
  before: Snapshot;
  plan: PhasePlan;
}

/** A phase's outcome, and the database as its row check saw it afterwards. */
export interface PhaseRun {
  result: PhaseResult;
  after: Snapshot;
}

/**
 * Applies one phase and checks its rows; the caller holds the lock. `snapshot` is the database
 * as it is now (taken fresh when not given, e.g. after an operator's pause). Throws on failure.
 */
export async function applyPhase(
  session: Session,
  phase: PhaseId,
  start: RunStart,
  options: { snapshot?: Snapshot; keys?: KeyPolicy; repairFts?: boolean } = {},
): Promise<PhaseRun> {
  const written = await writePhase(session, phase, start, options);
  return { result: written.result, after: await rowsKeptAfter(session, written) };
}

async function rowsKeptAfter(session: Session, written: WrittenPhase): Promise<Snapshot> {
  // Committed from here on: a failing row check is reported as such, never as a failed phase.
  return written.result.status === 'success' ? checkRowsKept(session, written.result.phase, written.before, written.plan) : written.before;
}

/** Plans and writes one phase as one atomic write, journal entry first; throws when it fails. */
async function writePhase(
  session: Session,
  phase: PhaseId,
  start: RunStart,
  options: { snapshot?: Snapshot; keys?: KeyPolicy; repairFts?: boolean },
): Promise<WrittenPhase> {
  const stepName = phase === 'phase1' ? 'apply-phase1' : 'apply-phase2';
  const snapshot = options.snapshot ?? (await takeSnapshot(session.db));
  const plan = planMigration(snapshot, [phase], { runId: session.runId, keys: options.keys, repairFts: options.repairFts }).phases[0];
  refuseConflicts([plan]);
  if (plan.statements.length === 0) return { result: alreadyApplied(session, plan), before: snapshot, plan };
  const hashing = plan.keyHashing && plan.keyHashing.hashable > 0 ? plan.keyHashing : null;
  const prepared = hashing ? await prepareKeyHashes(session, snapshot, snapshot.plaintextKeys!.column, hashing.rowid) : null;
  const statements: Stmt[] = [
    ...plan.statements.filter((s) => s.kind !== 'hash-keys').map((s) => ({ sql: s.sql })),
    ...(prepared && hashing ? keyHashStatements(prepared, hashing.column) : []),
    rowGuard(snapshot, plan.archive),
  ];
  // The replaced plaintext keys must not linger in freed pages of the file: zero what is deleted.
  if (prepared && session.db.target.kind === 'file') await session.db.execute('PRAGMA secure_delete = ON');
  // Read under the lock, just before the write: how many archived rows each parent key has.
  const archive = plan.archive ? { ...plan.archive, cascade: await readCascadeCounts(session.db, snapshot, plan.archive.table) } : null;
  const total = statements.length;
  session.emit({ type: 'phase-started', phase, action: 'apply', total });
  const tripsBefore = session.db.roundTrips;
  let results;
  try {
    results = await step(session, stepName, `Apply ${plan.title}`, () =>
      session.db.atomicWrite(
        [
          journalInsert(
            {
              runId: session.runId,
              phase,
              action: 'apply',
              statements: statements.map((s) => s.sql),
              dropped: plan.dropped,
              created: plan.created,
              renamed: plan.renamed,
              archive,
              backup: start.backup,
              beforeContent: start.digest,
              beforeStats: beforeStatsOf(snapshot),
              operator: session.operator,
              toolVersion: session.toolVersion,
              startedAt: new Date().toISOString(),
              undoes: null,
              hashedKeys: prepared?.rows ?? 0,
            },
            snapshot,
          ),
          ...statements,
        ],
        (index, ms) => {
          if (index > 0) session.emit({ type: 'statement-executed', phase, index, total, sql: statements[index - 1].sql, ms });
        },
        countWarmUp(snapshot),
      ),
    );
  } catch (error) {
    // The flag outlives a rolled-back transaction on a local connection: never leave it on.
    if (session.db.target.kind === 'file') await session.db.execute('PRAGMA legacy_alter_table = OFF').catch(() => undefined);
    session.emit({ type: 'phase-finished', phase, action: 'apply', outcome: { status: 'error', error: toErrorInfo(error) }, statements: 0, journalId: null });
    throw error;
  }
  const journalId = Number(results[0].lastInsertRowid ?? 0) || null;
  if (prepared) keyHashesCommitted(session);
  if (prepared && prepared.rows > 0) {
    session.emit({
      type: 'warning',
      message: `${prepared.rows} plaintext API key${prepared.rows === 1 ? ' was' : 's were'} replaced by ${prepared.rows === 1 ? 'its' : 'their'} SHA-256 hex. This cannot be undone by rollback; only the backup${start.backup ? ` (${start.backup.path})` : ''} holds the originals.`,
    });
  }
  const left = plan.keyHashing ? describeUnhashable(plan.keyHashing.leftAsIs) : '';
  if (left) session.emit({ type: 'warning', message: `API keys left as they are: ${left}; those users cannot authenticate until given a new key.` });
  session.emit({
    type: 'phase-finished',
    phase,
    action: 'apply',
    outcome: { status: 'success', detail: `${total} statements` },
    statements: total,
    journalId,
    requests: session.db.roundTrips - tripsBefore,
    ...lockMsOf(session),
  });
  return {
    result: {
      phase,
      action: 'apply',
      status: 'success',
      statements: total,
      journalId,
      detail: `${plan.title} applied (${total} statements).`,
      ...lockMsOf(session),
    },
    before: snapshot,
    plan,
  };
}

/**
 * Once, after the last phase: every row's content equals the proof measured before the first
 * write (inside each phase the row guard already held the counts). Local files only: there the
 * record digest is one bounded pass; remotely it would read every row again over the network,
 * so a remote run relies on the counts and `verify` compares content.
 */
async function proveContentKept(session: Session, start: RunStart, results: PhaseResult[], hashedKeys: boolean): Promise<void> {
  const last = [...results].reverse().find((r) => r.status === 'success');
  if (!last || session.db.target.kind !== 'file') return;
  // Hashing plaintext keys changes users on purpose (and says so in its own warning).
  const except = hashedKeys && results.some((r) => r.phase === 'phase2' && r.status === 'success') ? ['users'] : [];
  const { changes, compared } = await changesSince(session.db, start.digest, except);
  session.emit({
    type: 'rows-checked',
    phase: last.phase,
    ok: changes.length === 0,
    detail:
      changes.length === 0
        ? `content of every table equal to the proof measured before the first write (${compared} tables${except.length ? '; users aside: its keys were hashed' : ''})`
        : changes.join('; '),
  });
  if (changes.length > 0) {
    throw new UserError(`Content changed during the run: ${changes.join('; ')}.`, {
      hint: 'Another process wrote to the database: stop the application services, run verify, and roll back if needed.',
      exitCode: ExitCode.failed,
    });
  }
}

/** Proves the phase kept every row: counts after equal counts before; a dropped table's rows sit in its archive. */
async function checkRowsKept(session: Session, phase: PhaseId, before: Snapshot, plan: PhasePlan): Promise<Snapshot> {
  const after = await takeSnapshot(session.db);
  const countsAfter = rowCounts(after);
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(rowCounts(before))) {
    if (plan.archive?.table === table) {
      const archived = findTable(after, plan.archive.archiveTable)?.rows;
      if (archived !== rows) problems.push(`${table}: ${rows} rows before, ${archived ?? 'no'} rows in ${plan.archive.archiveTable}`);
    } else if (countsAfter[table] !== rows) {
      problems.push(`${table}: ${rows} rows before, ${countsAfter[table] ?? 'table missing'} after`);
    }
  }
  const ok = problems.length === 0;
  session.emit({
    type: 'rows-checked',
    phase,
    ok,
    detail: ok
      ? `row counts of ${Object.keys(countsAfter).length} tables unchanged${plan.archive ? `; ${plan.archive.rows} ${plan.archive.table} rows archived` : ''}`
      : problems.join('; '),
  });
  if (!ok) {
    throw new UserError(`Row counts changed during ${plan.title}: ${problems.join('; ')}.`, {
      hint: 'Another process is writing to the database: stop the application services, verify, and roll back if needed.',
      exitCode: ExitCode.failed,
    });
  }
  return after;
}

/** `askDecisions`: an operator is there to answer an open decision (the wizard asks it at the phase). */
export function refuseConflicts(phases: PhasePlan[], { askDecisions = false } = {}): void {
  const blocked = phases.filter((p) => p.conflicts.length > 0);
  if (blocked.length > 0) {
    const details = blocked.map((p) => `${p.title}: ${p.conflicts.join(' ')}`).join(' ');
    throw new UserError(`Cannot apply safely; nothing was changed. ${details}`, {
      hint:
        blocked.some((p) => p.phase === 'phase2') && phases.some((p) => p.phase === 'phase1' && p.conflicts.length === 0)
          ? 'Resolve the conflict, or apply Phase 1 alone with --phase 1.'
          : 'Resolve the conflict described above, then run again (schema-wizard plan shows the state).',
      exitCode: ExitCode.failed,
    });
  }
  const waiting = phases.find((p) => p.decision);
  if (waiting?.decision && !askDecisions) throw keyDecisionError(waiting.decision.keys);
}

/** Phase 2 with plaintext keys and no --hash-plaintext-keys / --keep-plaintext-keys: nobody is locked out by default. */
export function keyDecisionError(keys: PlaintextKeys): UserError {
  const n = keys.count;
  const unhashable = describeUnhashable(keys);
  return new UserError(
    `${n} user${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} an API key in users.${keys.column} that is not a SHA-256 hex digest: the application looks keys up by hash, so after Phase 2 renames the column ${n === 1 ? 'that user' : 'they'} could not authenticate. Nothing was changed.` +
      (unhashable ? ` (${keys.hashable} can be hashed; ${unhashable}.)` : ''),
    {
      hint: "Choose one: --hash-plaintext-keys (hash them inside Phase 2's transaction; only the backup keeps the originals) or --keep-plaintext-keys (rename anyway: those users cannot authenticate until their keys are hashed). Or apply --phase 1 alone.",
      exitCode: ExitCode.usage,
    },
  );
}
