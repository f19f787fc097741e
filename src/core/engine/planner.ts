/**
 * The planner is pure: snapshot in, plan out. Each phase's plan is the difference between the
 * database as it is and the phase's target, so what is already true is skipped (a re-run is a
 * no-op, a half-applied run is finished) and anything without a safe automatic answer blocks
 * the phase with an explanation instead of a guess.
 */
import { describeDrift } from './drift.js';
import { keepForeignKeyLookups, planCoverage, planCreates, planIndexDrops } from './plan-indexes.js';
import { planKeys } from './plan-keys.js';
import { rehearse } from './rehearsal.js';
import { type PhaseDefinition, type PhaseId, PHASES, plainIdent, V1_FTS_SQL, V1_OBJECTS } from '../sql/index.js';
import type { KeyPolicy, PhasePlan, Plan, Snapshot, TableInfo } from '../model/index.js';
import { findColumn, findTable, hasColumn, hasRowid, referencesTo, sameName } from '../db/index.js';
export type {
  StatementKind,
  PlannedStatement,
  ArchivePlan,
  PhaseStatus,
  KeyDecision,
  KeyHashing,
  PhasePlan,
  DriftKind,
  DriftItem,
  Plan,
  KeyPolicy,
} from '../model/index.js';

export interface PlanOptions {
  /** Names the archive table for learned_patterns' rows; unique per run. */
  runId: string;
  /** Unset: Phase 2 waits for a decision when plaintext keys exist. */
  keys?: KeyPolicy;
  /**
   * --repair-fts: an FTS table that is missing while triggers still write to it is recreated
   * from its content table (v1's definition) and rebuilt, at the start of the first phase that
   * runs, journaled with it as something it created (rollback of that phase drops it again).
   */
  repairFts?: boolean;
}

export function planMigration(snapshot: Snapshot, phases: PhaseId[], options: PlanOptions): Plan {
  const planned = phases.map((id) => planPhase(snapshot, PHASES[id], options));
  const drift = describeDrift(snapshot);
  const repairs = ftsRepairs(snapshot);
  for (const repair of repairs) {
    drift.push({
      kind: 'broken-object',
      object: repair.table,
      message: `${repair.table} is missing but ${repair.triggers.join(', ')} still write${repair.triggers.length === 1 ? 's' : ''} to it (--repair-fts recreates it from ${repair.content} and rebuilds it)`,
    });
  }
  const first = planned.find((p) => p.statements.length > 0 && p.conflicts.length === 0);
  if (options.repairFts && first) {
    for (const repair of repairs) {
      first.statements.unshift(
        { kind: 'repair-fts', object: repair.table, sql: repair.create },
        { kind: 'repair-fts', object: repair.table, sql: `INSERT INTO ${plainIdent(repair.table)}(${plainIdent(repair.table)}) VALUES('rebuild')` },
      );
      first.created.push(repair.table);
      first.notes.push(
        `repair: ${repair.table} is recreated from ${repair.content} and rebuilt first (--repair-fts); rolling back ${first.title} drops it again.`,
      );
    }
  }
  // Rehearse what would run in a scratch copy of the schema: what would fail or break blocks the phase.
  // A phase waiting only for the plaintext-keys decision is rehearsed too: the dry run shows all it would meet.
  const rehearsal = rehearse(
    snapshot,
    planned.map((p) => (p.conflicts.length > 0 ? { ...p, statements: [] } : p)),
  );
  for (const broken of rehearsal.brokenBefore) {
    drift.push({ kind: 'broken-object', object: broken.object, message: `${broken.object} does not compile already (${broken.message})` });
  }
  for (const plan of planned) {
    plan.conflicts.push(...(rehearsal.problems.get(plan.phase) ?? []));
    settleStatus(plan);
  }
  return { phases: planned, drift };
}

export function archiveTableName(runId: string, table: string): string {
  return `_schema_wizard_archive_${runId}_${table}`;
}

function emptyPlan(def: PhaseDefinition): PhasePlan {
  return {
    phase: def.id,
    title: def.title,
    risk: def.risk,
    description: def.description,
    status: 'pending',
    statements: [],
    alreadyDone: [],
    conflicts: [],
    warnings: [],
    notes: [],
    dropped: [],
    created: [],
    renamed: [],
    archive: null,
    decision: null,
    keyHashing: null,
  };
}

function planPhase(snapshot: Snapshot, def: PhaseDefinition, options: PlanOptions): PhasePlan {
  const plan = emptyPlan(def);
  const droppedTables = planTableDrops(plan, snapshot, def, options);
  const droppedIndexes = planIndexDrops(plan, snapshot, def, droppedTables);
  planRenames(plan, snapshot, def);
  planCreates(plan, snapshot, def, droppedIndexes);
  planCoverage(plan, snapshot, def, droppedIndexes);
  keepForeignKeyLookups(plan, snapshot, droppedTables, droppedIndexes);
  if (def.id === 'phase2') planKeys(plan, snapshot, options.keys);
  return plan;
}

/** A phase with conflicts or an open decision runs nothing; otherwise its status says how much is left. */
function settleStatus(plan: PhasePlan): void {
  if (plan.conflicts.length > 0 || plan.decision) {
    plan.status = 'blocked';
    plan.statements = [];
  } else if (plan.statements.length === 0) {
    plan.status = 'applied';
  } else {
    plan.status = plan.alreadyDone.length > 0 ? 'partial' : 'pending';
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** 1. Tables to drop: archive the rows, drop dependent objects explicitly, then the table. */
function planTableDrops(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, options: PlanOptions): TableInfo[] {
  const dropped: TableInfo[] = [];
  for (const wanted of def.dropTables) {
    const table = findTable(snapshot, wanted);
    if (!table) {
      plan.alreadyDone.push(`table ${wanted} already absent`);
      continue;
    }
    const name = table.name;
    const references = referencesTo(snapshot, name);
    for (const ref of references) {
      const rows = snapshot.referencingRows[`${ref.table}#${ref.id}`] ?? 0;
      const action = snapshot.foreignKeys.find((k) => k.table === ref.table && k.id === ref.id)?.onDelete ?? 'NO ACTION';
      plan.conflicts.push(
        `${ref.table}(${ref.columns.join(', ')}) has a foreign key to ${name} (ON DELETE ${action}) and ${plural(rows, 'row')} of ${ref.table} set it: ` +
          `dropping ${name} would ${rows > 0 && action === 'CASCADE' ? 'delete them' : rows > 0 && /SET/.test(action) ? 'change them' : 'leave that key pointing at a missing table'}. ` +
          `Remove that foreign key from ${ref.table} (or move ${ref.table} aside), then re-run.`,
      );
    }
    const blockers = dependentsOutside(snapshot, name);
    if (blockers.length > 0) {
      plan.conflicts.push(
        `${name} is used by ${blockers.join(', ')}; dropping it would break or empty them. Remove or change those objects first, then re-run.`,
      );
    }
    if (references.length > 0 || blockers.length > 0) continue;
    const rows = table.rows ?? 0;
    const archiveTable = archiveTableName(options.runId, name);
    plan.archive = { table: name, archiveTable, rows, columns: table.columns, hasRowid: hasRowid(table), method: 'rename' };
    for (const index of snapshot.indexes.filter((i) => sameName(i.table, name) && i.sql !== null)) {
      plan.statements.push({ kind: 'drop-index', object: index.name, sql: `DROP INDEX ${plainIdent(index.name)}` });
      plan.dropped.push(index.name);
    }
    for (const trigger of snapshot.triggers.filter((t) => sameName(t.table, name))) {
      plan.statements.push({ kind: 'drop-trigger', object: trigger.name, sql: `DROP TRIGGER ${plainIdent(trigger.name)}` });
      plan.dropped.push(trigger.name);
    }
    // Renamed, not copied: no row is read or written, so a table of any size (a 400 MB value
    // included) is archived in constant time and memory, with its rowids and sequence row.
    // Its indexes and triggers are dropped first so none of them follows it into the archive.
    // Locally, legacy mode: SQLite then rewrites only the table's own DDL and does not re-check
    // every trigger and view of the schema, so an unrelated object that was already broken does
    // not block Phase 1 (dependents of the table were refused above). A Turso server refuses the
    // pragma; there the rename re-checks the schema, and the rehearsal names what would fail.
    const rename = { kind: 'archive-rows' as const, object: name, sql: `ALTER TABLE ${plainIdent(name)} RENAME TO ${plainIdent(archiveTable)}` };
    if (snapshot.allowsLegacyAlter) {
      plan.statements.push({ kind: 'archive-rows', object: name, sql: 'PRAGMA legacy_alter_table = ON' }, rename, {
        kind: 'archive-rows',
        object: name,
        sql: 'PRAGMA legacy_alter_table = OFF',
      });
    } else {
      plan.statements.push(rename);
    }
    if (rows > 0) plan.warnings.push(`${name} holds ${plural(rows, 'row')}: the table is renamed to ${archiveTable}, so rollback brings every one back.`);
    plan.dropped.push(name);
    dropped.push(table);
  }
  return dropped;
}

interface FtsRepair {
  table: string;
  content: string;
  create: string;
  triggers: string[];
}

/** v1's FTS tables that are gone while triggers still name them, and can be rebuilt from their content table. */
function ftsRepairs(snapshot: Snapshot): FtsRepair[] {
  const repairs: FtsRepair[] = [];
  for (const table of V1_OBJECTS.ftsTables) {
    if (findTable(snapshot, table)) continue;
    const triggers = snapshot.triggers.filter((t) => mentions(t.sql, table)).map((t) => t.name);
    if (triggers.length === 0) continue;
    const create = V1_FTS_SQL[table];
    const content = /content='(\w+)'/.exec(create)?.[1] ?? '';
    const columns =
      /fts5\(([^)]*)\)/
        .exec(create)?.[1]
        .split(',')
        .map((c) => c.trim())
        .filter((c) => !c.includes('=')) ?? [];
    const source = findTable(snapshot, content);
    if (!source || !columns.every((c) => hasColumn(source, c))) continue;
    repairs.push({ table, content, create, triggers });
  }
  return repairs;
}

/** 3. Column renames: only when the old column exists and the new one does not. */
function planRenames(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition): void {
  for (const rename of def.renameColumns) {
    const table = findTable(snapshot, rename.table);
    const from = table ? findColumn(table, rename.from) : undefined;
    const to = table ? findColumn(table, rename.to) : undefined;
    if (!table) {
      plan.conflicts.push(`table ${rename.table} does not exist, so ${rename.table}.${rename.from} cannot be renamed.`);
    } else if (from && to) {
      plan.conflicts.push(
        `${table.name} has both ${from} and ${to}: there is no safe automatic answer (which holds the keys the application uses?). ` +
          `Merge or drop one column yourself after a backup, then re-run.`,
      );
    } else if (to) {
      plan.alreadyDone.push(`column ${rename.table}.${rename.from} already renamed to ${rename.to}`);
    } else if (!from) {
      plan.conflicts.push(`${table.name} has neither ${rename.from} nor ${rename.to}; nothing to rename and no column to index.`);
    } else {
      plan.statements.push({
        kind: 'rename-column',
        object: `${table.name}.${from}`,
        sql: `ALTER TABLE ${plainIdent(table.name)} RENAME COLUMN ${plainIdent(from)} TO ${plainIdent(rename.to)}`,
      });
      plan.renamed.push({ table: table.name, from, to: rename.to });
    }
  }
}

/**
 * Views and triggers on other tables whose text names `table` (a first filter; the rehearsal
 * compiles every one of them against the schema the phase leaves). Foreign keys are read
 * from SQLite itself (referencesTo), never from text.
 */
function dependentsOutside(snapshot: Snapshot, table: string): string[] {
  const found: string[] = [];
  for (const v of snapshot.views) if (mentions(v.sql, table)) found.push(`view ${v.name}`);
  for (const t of snapshot.triggers) if (!sameName(t.table, table) && mentions(t.sql, table)) found.push(`trigger ${t.name}`);
  return found;
}

/** Whether SQL text names `name` as a word, bare or in any quotes (a text filter; the rehearsal is the proof). */
function mentions(sql: string | null, name: string): boolean {
  if (!sql) return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w$])["'\`\\[]?${escaped}["'\`\\]]?([^\\w$]|$)`, 'i').test(sql);
}
