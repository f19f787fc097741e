/**
 * Rollback from the journal, newest phase first. Each phase's undo is one atomic write that
 * also records a rollback entry and marks the apply entries it undid.
 */
import type { BackupProvider } from './backup-provider.js';
import { type BackupRef, ExitCode, type PhaseResult, type RunResultSet, type Snapshot, toErrorInfo, UserError } from '../model/index.js';
import { runPhaseSet } from './run-start.js';
import { activeApplies, journalInsert, markUndone, readJournal, type JournalEntry } from './journal.js';
import { cascadeExplains } from './cascade-evidence.js';
import { type PhaseId, PHASES, quoteIdent } from '../sql/index.js';
import { findTable, freeRowidAlias, GUARD_MARK, rowCounts, takeSnapshot } from '../db/index.js';
import { rehearseSteps } from './rehearsal.js';
import { countWarmUp, rollbackGuard } from './row-guard.js';
import { archivedRowid, planRollback, type RollbackFacts, type RollbackPlan } from './rollback-plan.js';
import { inspect, lockMsOf, step, type Session } from './session.js';

export interface RollbackOptions {
  phases: PhaseId[];
  backup: BackupProvider | null;
}

/** Rolls the phases back, newest first, under one lock and one backup. Never throws: a failure is the result set's `error`. */
export async function runRollback(session: Session, options: RollbackOptions): Promise<RunResultSet> {
  // Undo in reverse order of application: Phase 2 before Phase 1.
  const order = [...options.phases].sort().reverse() as PhaseId[];
  return runPhaseSet(session, {
    action: 'rollback',
    order,
    provider: options.backup,
    prepare: async () => {
      const snapshot = await inspect(session);
      const journal = await readJournal(session.db, snapshot);
      // Every phase is checked up front, before anything is undone: a rollback never stops half way.
      const facts = await readRollbackFacts(session, snapshot, journal);
      const plans = order.map((phase) => planRollback(snapshot, phase, activeApplies(journal, phase), facts));
      rehearseRollback(snapshot, plans);
      refuseRollbackConflicts(plans);
      const idle = plans.every((p) => p.entries.length === 0 || p.statements.length === 0);
      return { snapshot, idle: idle ? plans.map((p) => notNeeded(session, p, everApplied(journal, p.phase))) : null };
    },
    write: async (phase, start, current) => {
      const written = await writeRollback(session, phase, start.backup, current);
      return { result: written.result, rowsAfter: () => restoredRowsAfter(session, written) };
    },
  });
}

function everApplied(journal: JournalEntry[], phase: PhaseId): boolean {
  return journal.some((e) => e.action === 'apply' && e.phase === phase);
}

function notNeeded(session: Session, plan: RollbackPlan, applied: boolean): PhaseResult {
  const title = PHASES[plan.phase].title;
  const message = !applied
    ? `${title} was never applied by schema-wizard on this database: nothing to roll back.`
    : `${title} is already rolled back: nothing to do.`;
  session.emit({
    type: 'phase-finished',
    phase: plan.phase,
    action: 'rollback',
    outcome: { status: 'not-executed', reason: message },
    statements: 0,
    journalId: null,
  });
  return { phase: plan.phase, action: 'rollback', status: 'not-executed', statements: 0, journalId: null, detail: message };
}

/** A phase's committed undo (or its "nothing to do"), with what its row check expects. */
interface WrittenRollback {
  result: PhaseResult;
  before: Snapshot;
  plan: RollbackPlan;
}

/**
 * Rolls one phase back and checks its rows; the caller holds the lock. `given` is the database
 * as it is now (fresh when not given). Throws on failure.
 */
export async function rollbackPhase(
  session: Session,
  phase: PhaseId,
  backup: BackupRef | null,
  given?: Snapshot,
): Promise<{ result: PhaseResult; after: Snapshot }> {
  const written = await writeRollback(session, phase, backup, given);
  return { result: written.result, after: await restoredRowsAfter(session, written) };
}

async function restoredRowsAfter(session: Session, written: WrittenRollback): Promise<Snapshot> {
  // Committed from here on: a failing row check is reported as such, never as a failed phase.
  return written.result.status === 'success' ? checkRestoredRows(session, written.result.phase, written.plan) : written.before;
}

/** Plans and writes one phase's undo as one atomic write, journal entry first; throws when it fails. */
async function writeRollback(session: Session, phase: PhaseId, backup: BackupRef | null, given?: Snapshot): Promise<WrittenRollback> {
  const snapshot = given ?? (await takeSnapshot(session.db));
  const journal = await readJournal(session.db, snapshot);
  const entries = activeApplies(journal, phase);
  const plan = planRollback(snapshot, phase, entries, await readRollbackFacts(session, snapshot, journal));
  rehearseRollback(snapshot, [plan]);
  refuseRollbackConflicts([plan]);
  if (entries.length === 0 || plan.statements.length === 0) return { result: notNeeded(session, plan, everApplied(journal, phase)), before: snapshot, plan };
  const title = PHASES[phase].title;
  const total = plan.statements.length;
  const hashed = entries.reduce((n, e) => n + e.hashedKeys, 0);
  if (hashed > 0) {
    const backups = entries.flatMap((e) => (e.backup ? [e.backup.path] : []));
    session.emit({
      type: 'warning',
      message: `${hashed} API keys were hashed when ${title} was applied; rollback renames the column back but cannot bring the plaintext values back${backups.length ? ` (they are in ${backups.join(', ')})` : ''}.`,
    });
  }
  for (const note of plan.notes) session.emit({ type: 'warning', message: note });
  session.emit({ type: 'phase-started', phase, action: 'rollback', total });
  let results;
  try {
    // Foreign keys off for this write: archived rows go back even where their parent rows were
    // deleted since (the orphans are reported below), and nothing in it can fire an ON DELETE action.
    results = await step(session, phase === 'phase1' ? 'rollback-phase1' : 'rollback-phase2', `Roll back ${title}`, async () => {
      const written = await session.db.atomicWriteWithoutForeignKeys(
        [
          journalInsert(
            {
              runId: session.runId,
              phase,
              action: 'rollback',
              statements: plan.statements.map((s) => s.sql),
              dropped: plan.dropped,
              created: [],
              renamed: [],
              archive: null,
              backup,
              operator: session.operator,
              toolVersion: session.toolVersion,
              startedAt: new Date().toISOString(),
              undoes: entries[0].id,
            },
            snapshot,
          ),
          ...plan.statements,
          rollbackGuard(snapshot, plan.expectRows),
          ...entries.map((e) => markUndone(e.id)),
        ],
        countWarmUp(snapshot),
      );
      plan.statements.forEach((s, i) => session.emit({ type: 'statement-executed', phase, index: i + 1, total, sql: s.sql, ms: 0 }));
      return written;
    });
  } catch (error) {
    session.emit({
      type: 'phase-finished',
      phase,
      action: 'rollback',
      outcome: { status: 'error', error: toErrorInfo(error) },
      statements: 0,
      journalId: null,
    });
    throw error;
  }
  const journalId = Number(results[0].lastInsertRowid ?? 0) || null;
  session.emit({
    type: 'phase-finished',
    phase,
    action: 'rollback',
    outcome: { status: 'success', detail: `${total} statements` },
    statements: total,
    journalId,
    ...lockMsOf(session),
  });
  return {
    result: {
      phase,
      action: 'rollback',
      status: 'success',
      statements: total,
      journalId,
      detail: `${title} rolled back (${total} statements).`,
      ...lockMsOf(session),
    },
    before: snapshot,
    plan,
  };
}

async function checkRestoredRows(session: Session, phase: PhaseId, plan: RollbackPlan): Promise<Snapshot> {
  const after = await takeSnapshot(session.db);
  const counts = rowCounts(after);
  const problems = Object.entries(plan.expectRows)
    .filter(([table, rows]) => counts[table] !== rows)
    .map(([table, rows]) => `${table}: expected ${rows} rows, found ${counts[table] ?? 'no table'}`);
  const restored = Object.entries(plan.restoredRows).map(([t, n]) => `${n} ${t} row${n === 1 ? '' : 's'} restored`);
  for (const table of Object.keys(plan.restoredRows)) {
    const orphans = await session.db.query(`SELECT count(*) AS n FROM pragma_foreign_key_check(?)`, [table]);
    const n = Number(orphans[0]?.n ?? 0);
    if (n > 0) {
      session.emit({
        type: 'warning',
        message: `${n} restored ${table} row${n === 1 ? '' : 's'} reference${n === 1 ? 's' : ''} a parent row deleted since the migration (kept as they were archived; PRAGMA foreign_key_check(${table}) lists them).`,
      });
    }
  }
  session.emit({
    type: 'rows-checked',
    phase,
    ok: problems.length === 0,
    detail: problems.length ? problems.join('; ') : restored.join('; ') || 'no rows to restore',
  });
  if (problems.length) {
    throw new UserError(`Rollback restored the wrong number of rows: ${problems.join('; ')}.`, {
      hint: 'Restore from the backup taken before the migration (schema-wizard restore --from PATH).',
      exitCode: ExitCode.failed,
    });
  }
  return after;
}

/** What the rollback planner cannot see in a snapshot: rows of a recreated table that hold an archived rowid. */
async function readRollbackFacts(session: Session, snapshot: Snapshot, journal: JournalEntry[]): Promise<RollbackFacts> {
  const collisions: Record<string, number> = {};
  const rowidAliased: Record<string, boolean> = {};
  const cascadeExplained: Record<string, boolean> = {};
  for (const entry of journal.filter((e) => e.action === 'apply' && e.undoneBy === null && e.archive)) {
    const archive = entry.archive!;
    const table = findTable(snapshot, archive.table);
    const archived = findTable(snapshot, archive.archiveTable);
    if (archived) {
      // An INTEGER PRIMARY KEY column is the rowid (one key column, declared type exactly INTEGER).
      const [{ alias }] = await session.db.query(
        `SELECT count(*) = 1 AND max(pk = 1 AND upper(type) = 'INTEGER') AS alias FROM pragma_table_info(?) WHERE pk > 0`,
        [archived.name],
      );
      rowidAliased[archive.archiveTable] = Number(alias) === 1;
      const recorded = entry.beforeCounts[archive.table];
      if (archive.cascade && recorded !== undefined && (archived.rows ?? 0) < recorded) {
        cascadeExplained[archive.archiveTable] = await cascadeExplains(session.db, archived.name, archive.cascade);
      }
    }
    const alias = table ? freeRowidAlias(table) : null;
    if (!table || !archived || !archive.hasRowid || !alias || !table.rows) continue;
    const rows = await session.db.query(
      `SELECT count(*) AS n FROM ${quoteIdent(table.name)} WHERE ${alias} IN (SELECT ${archivedRowid(archive, alias)} FROM ${quoteIdent(archive.archiveTable)})`,
    );
    collisions[archive.archiveTable] = Number(rows[0].n);
  }
  return { collisions, rowidAliased, cascadeExplained };
}

/**
 * The rollback's statements rehearsed on a scratch copy of the schema, in order: a restored
 * trigger that no longer compiles (it names users.api_key while Phase 2 stays applied) or a
 * statement that would fail blocks the rollback before anything is undone.
 */
function rehearseRollback(snapshot: Snapshot, plans: RollbackPlan[]): void {
  const steps = plans.map((p) => ({ title: `rolling back ${PHASES[p.phase].title}`, statements: p.statements.filter((s) => !s.sql.includes(GUARD_MARK)) }));
  const { problems } = rehearseSteps(snapshot, steps);
  // An object that stops compiling only because the undo drops what the apply created (a
  // table --repair-fts recreated) goes back to the state the apply found: that is the undo.
  const createdByApply = (p: RollbackPlan, problem: string) =>
    p.dropped.some((name) => new RegExp(`no such (table|index): (main\\.)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(problem));
  plans.forEach((p, i) => p.conflicts.push(...problems[i].filter((problem) => !createdByApply(p, problem))));
}

function refuseRollbackConflicts(plans: RollbackPlan[]): void {
  const blocked = plans.filter((p) => p.conflicts.length > 0);
  if (blocked.length === 0) return;
  throw new UserError(`Cannot roll back safely; nothing was changed. ${blocked.map((p) => `${PHASES[p.phase].title}: ${p.conflicts.join(' ')}`).join(' ')}`, {
    hint: 'Fix the objects named above, or restore from a backup (schema-wizard restore --from PATH).',
    exitCode: ExitCode.failed,
  });
}
