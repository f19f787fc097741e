/**
 * The planner is pure: snapshot in, plan out. Each phase's plan is the difference between the
 * database as it is and the phase's target, so what is already true is skipped (a re-run is a
 * no-op, a half-applied run is finished) and anything without a safe automatic answer blocks
 * the phase with an explanation instead of a guess.
 */
import { PHASES, V1_OBJECTS, type ColumnRename, type PhaseDefinition, type PhaseId } from './phases.js';
import { findIndex, findTable, hasRowid, isBookkeeping, type Snapshot } from './snapshot.js';
import { normalizeSql, plainIdent } from './sql-text.js';

export type StatementKind = 'archive-rows' | 'drop-index' | 'drop-trigger' | 'drop-table' | 'rename-column' | 'create-index';

export interface PlannedStatement {
  kind: StatementKind;
  /** The object the statement changes. */
  object: string;
  sql: string;
}

export interface ArchivePlan {
  table: string;
  archiveTable: string;
  rows: number;
  columns: string[];
  /** Whether rows are addressed by rowid (false for WITHOUT ROWID tables). */
  hasRowid: boolean;
}

export type PhaseStatus = 'pending' | 'partial' | 'applied' | 'blocked';

export interface PhasePlan {
  phase: PhaseId;
  title: string;
  risk: 'low' | 'medium';
  description: string;
  status: PhaseStatus;
  statements: PlannedStatement[];
  /** Changes of this phase that are already true and will be skipped. */
  alreadyDone: string[];
  /** Reasons this phase cannot be applied automatically; the database is left untouched. */
  conflicts: string[];
  warnings: string[];
  /** Objects whose verbatim DDL the journal records before they are dropped. */
  dropped: string[];
  created: string[];
  renamed: ColumnRename[];
  archive: ArchivePlan | null;
}

export type DriftKind =
  | 'extra-table'
  | 'extra-index'
  | 'extra-view'
  | 'extra-trigger'
  | 'missing-object'
  | 'column-renamed'
  | 'partial-phase';

export interface DriftItem {
  kind: DriftKind;
  object: string;
  message: string;
}

export interface Plan {
  phases: PhasePlan[];
  drift: DriftItem[];
}

export interface PlanOptions {
  /** Names the archive table for learned_patterns' rows; unique per run. */
  runId: string;
}

export function planMigration(snapshot: Snapshot, phases: PhaseId[], options: PlanOptions): Plan {
  return {
    phases: phases.map((id) => planPhase(snapshot, PHASES[id], options)),
    drift: describeDrift(snapshot),
  };
}

export function archiveTableName(runId: string, table: string): string {
  return `_schema_wizard_archive_${runId}_${table}`;
}

function planPhase(snapshot: Snapshot, def: PhaseDefinition, options: PlanOptions): PhasePlan {
  const plan: PhasePlan = {
    phase: def.id,
    title: def.title,
    risk: def.risk,
    description: def.description,
    status: 'pending',
    statements: [],
    alreadyDone: [],
    conflicts: [],
    warnings: [],
    dropped: [],
    created: [],
    renamed: [],
    archive: null,
  };
  const explicitDrops = new Set(def.dropIndexes.map((d) => d.name));

  // 1. Tables to drop: archive the rows, drop dependent objects explicitly, then the table.
  for (const name of def.dropTables) {
    const table = findTable(snapshot, name);
    if (!table) {
      plan.alreadyDone.push(`table ${name} already absent`);
      continue;
    }
    const blockers = dependentsOutside(snapshot, name);
    if (blockers.length > 0) {
      plan.conflicts.push(
        `${name} is used by ${blockers.join(', ')}; dropping it would break or empty them. Remove or change those objects first, then re-run.`,
      );
      continue;
    }
    const rows = table.rows ?? 0;
    const withRowid = hasRowid(table);
    const archiveTable = archiveTableName(options.runId, name);
    plan.archive = { table: name, archiveTable, rows, columns: table.columns, hasRowid: withRowid };
    const selectList = [withRowid ? `rowid AS ${plainIdent('_schema_wizard_rowid')}` : null, ...table.columns.map(plainIdent)]
      .filter(Boolean)
      .join(', ');
    plan.statements.push({
      kind: 'archive-rows',
      object: name,
      sql: `CREATE TABLE ${plainIdent(archiveTable)} AS SELECT ${selectList} FROM ${plainIdent(name)}`,
    });
    if (rows > 0) {
      plan.warnings.push(
        `${name} holds ${rows} row${rows === 1 ? '' : 's'}: they are kept in ${archiveTable} so rollback brings every one back.`,
      );
    }
    for (const index of snapshot.indexes.filter((i) => i.table === name && i.sql !== null)) {
      plan.statements.push({ kind: 'drop-index', object: index.name, sql: `DROP INDEX ${plainIdent(index.name)}` });
      plan.dropped.push(index.name);
      explicitDrops.delete(index.name);
    }
    for (const trigger of snapshot.triggers.filter((t) => t.table === name)) {
      plan.statements.push({ kind: 'drop-trigger', object: trigger.name, sql: `DROP TRIGGER ${plainIdent(trigger.name)}` });
      plan.dropped.push(trigger.name);
    }
    plan.statements.push({ kind: 'drop-table', object: name, sql: `DROP TABLE ${plainIdent(name)}` });
    plan.dropped.push(name);
  }

  // 2. Indexes to drop (those of a dropped table were handled with it).
  for (const drop of def.dropIndexes) {
    if (!explicitDrops.has(drop.name)) continue;
    const index = findIndex(snapshot, drop.name);
    if (!index) {
      plan.alreadyDone.push(`index ${drop.name} already absent`);
      continue;
    }
    if (def.dropTables.includes(index.table)) continue;
    if (index.sql === null) {
      plan.conflicts.push(`${drop.name} is an automatic index (a UNIQUE or PRIMARY KEY constraint) and cannot be dropped.`);
      continue;
    }
    plan.statements.push({ kind: 'drop-index', object: drop.name, sql: `DROP INDEX ${plainIdent(drop.name)}` });
    plan.dropped.push(drop.name);
    const coverer = drop.coveredBy;
    const covererWillExist = coverer && (findIndex(snapshot, coverer) || def.createIndexes.some((c) => c.name === coverer));
    if (coverer && !covererWillExist) {
      plan.warnings.push(`${drop.name} is dropped as covered by ${coverer}, but ${coverer} does not exist here: queries it served may scan.`);
    }
  }

  // 3. Column renames: only when the old column exists and the new one does not.
  for (const rename of def.renameColumns) {
    const table = findTable(snapshot, rename.table);
    const hasFrom = table?.columns.includes(rename.from) ?? false;
    const hasTo = table?.columns.includes(rename.to) ?? false;
    if (!table) {
      plan.conflicts.push(`table ${rename.table} does not exist, so ${rename.table}.${rename.from} cannot be renamed.`);
    } else if (hasFrom && hasTo) {
      plan.conflicts.push(
        `${rename.table} has both ${rename.from} and ${rename.to}: there is no safe automatic answer (which holds the keys the application uses?). ` +
          `Merge or drop one column yourself after a backup, then re-run.`,
      );
    } else if (hasTo) {
      plan.alreadyDone.push(`column ${rename.table}.${rename.from} already renamed to ${rename.to}`);
    } else if (!hasFrom) {
      plan.conflicts.push(`${rename.table} has neither ${rename.from} nor ${rename.to}; nothing to rename and no column to index.`);
    } else {
      plan.statements.push({
        kind: 'rename-column',
        object: `${rename.table}.${rename.from}`,
        sql: `ALTER TABLE ${plainIdent(rename.table)} RENAME COLUMN ${plainIdent(rename.from)} TO ${plainIdent(rename.to)}`,
      });
      plan.renamed.push(rename);
    }
  }

  // 4. Indexes to create: skip when an identical one exists, block when a different one holds the name.
  for (const target of def.createIndexes) {
    const existing = findIndex(snapshot, target.name);
    if (existing) {
      if (existing.sql !== null && normalizeSql(existing.sql) === normalizeSql(target.sql)) {
        plan.alreadyDone.push(`index ${target.name} already present`);
      } else {
        plan.conflicts.push(
          `an index named ${target.name} already exists with a different definition (${existing.sql ?? 'automatic'}); drop or rename it, then re-run.`,
        );
      }
      continue;
    }
    const table = findTable(snapshot, target.table);
    const columnsAfter = new Set(table?.columns ?? []);
    for (const r of plan.renamed) if (r.table === target.table) columnsAfter.add(r.to);
    const missing = target.key.filter((c) => /^\w+$/.test(c) && !columnsAfter.has(c));
    const exprColumns = target.key.flatMap((c) => /^\w+\((\w+)\)$/.exec(c)?.slice(1) ?? []);
    missing.push(...exprColumns.filter((c) => !columnsAfter.has(c)));
    if (!table) {
      plan.conflicts.push(`table ${target.table} does not exist, so ${target.name} cannot be created.`);
    } else if (missing.length > 0 && plan.conflicts.length === 0) {
      plan.conflicts.push(`${target.table} has no column ${missing.join(', ')}, so ${target.name} cannot be created.`);
    } else if (missing.length === 0) {
      plan.statements.push({ kind: 'create-index', object: target.name, sql: target.sql });
      plan.created.push(target.name);
    }
  }

  if (def.id === 'phase2' && snapshot.plaintextKeys && snapshot.plaintextKeys.count > 0) {
    const n = snapshot.plaintextKeys.count;
    plan.warnings.push(
      `${n} user${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} an API key that is not a SHA-256 hex digest in users.${snapshot.plaintextKeys.column}: ` +
        `the application looks keys up by hash, so ${n === 1 ? 'that user' : 'those users'} cannot authenticate after the rename unless the keys are hashed.`,
    );
  }

  if (plan.conflicts.length > 0) {
    plan.status = 'blocked';
    plan.statements = [];
  } else if (plan.statements.length === 0) {
    plan.status = 'applied';
  } else {
    plan.status = plan.alreadyDone.length > 0 ? 'partial' : 'pending';
  }
  return plan;
}

/** Views, triggers on other tables, and foreign keys that name `table`. */
function dependentsOutside(snapshot: Snapshot, table: string): string[] {
  const word = new RegExp(`(^|[^\\w$])["\`\\[]?${table}["\`\\]]?([^\\w$]|$)`, 'i');
  const found: string[] = [];
  for (const v of snapshot.views) if (v.sql && word.test(v.sql)) found.push(`view ${v.name}`);
  for (const t of snapshot.triggers) if (t.table !== table && t.sql && word.test(t.sql)) found.push(`trigger ${t.name}`);
  for (const t of snapshot.tables) {
    if (t.name !== table && t.sql && new RegExp(`references\\s+["\`\\[]?${table}\\b`, 'i').test(t.sql)) found.push(`table ${t.name} (foreign key)`);
  }
  return found;
}

function describeDrift(snapshot: Snapshot): DriftItem[] {
  const drift: DriftItem[] = [];
  const knownTables = new Set<string>(V1_OBJECTS.tables);
  const knownIndexes = new Set<string>([
    ...V1_OBJECTS.indexes,
    ...Object.values(PHASES).flatMap((p) => p.createIndexes.map((c) => c.name)),
  ]);
  const knownTriggers = new Set<string>(V1_OBJECTS.triggers);

  for (const t of snapshot.tables) {
    if ((t.kind === 'plain' || t.kind === 'virtual') && !knownTables.has(t.name)) {
      drift.push({ kind: 'extra-table', object: t.name, message: `extra table ${t.name} (left untouched)` });
    }
  }
  for (const i of snapshot.indexes) {
    if (i.sql !== null && !isBookkeeping(i.table) && !knownIndexes.has(i.name)) {
      drift.push({ kind: 'extra-index', object: i.name, message: `extra index ${i.name} on ${i.table} (left untouched)` });
    }
  }
  for (const v of snapshot.views) {
    drift.push({ kind: 'extra-view', object: v.name, message: `view ${v.name} (left untouched)` });
  }
  for (const t of snapshot.triggers) {
    if (!knownTriggers.has(t.name) && !isBookkeeping(t.table)) {
      drift.push({ kind: 'extra-trigger', object: t.name, message: `extra trigger ${t.name} on ${t.table} (left untouched)` });
    }
  }
  // v1 objects the phases neither drop nor create, yet missing here (for example no entities_fts).
  const touched = new Set<string>(
    Object.values(PHASES).flatMap((p) => [...p.dropTables, ...p.dropIndexes.map((d) => d.name), ...p.createIndexes.map((c) => c.name)]),
  );
  for (const name of V1_OBJECTS.tables) {
    if (!touched.has(name) && !findTable(snapshot, name)) {
      drift.push({ kind: 'missing-object', object: name, message: `table ${name} is missing (v1 has it; the migration does not need it)` });
    }
  }
  for (const name of V1_OBJECTS.indexes) {
    if (!touched.has(name) && !findIndex(snapshot, name)) {
      drift.push({ kind: 'missing-object', object: name, message: `index ${name} is missing (v1 has it)` });
    }
  }
  for (const name of V1_OBJECTS.triggers) {
    if (!snapshot.triggers.some((t) => t.name === name)) {
      drift.push({ kind: 'missing-object', object: name, message: `trigger ${name} is missing (v1 has it)` });
    }
  }
  const users = findTable(snapshot, 'users');
  if (users?.columns.includes('api_key_hash') && !users.columns.includes('api_key')) {
    drift.push({ kind: 'column-renamed', object: 'users.api_key', message: 'users.api_key is already named api_key_hash' });
  }
  for (const def of Object.values(PHASES)) {
    const { done, total } = progressOf(snapshot, def);
    if (done > 0 && done < total) {
      drift.push({
        kind: 'partial-phase',
        object: def.id,
        message: `${def.title} is partly applied (${done} of ${total} changes already true); the plan finishes it`,
      });
    }
  }
  return drift;
}

/** How many of a phase's changes are already true in the snapshot. */
export function progressOf(snapshot: Snapshot, def: PhaseDefinition): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const name of def.dropTables) {
    total++;
    if (!findTable(snapshot, name)) done++;
  }
  for (const drop of def.dropIndexes) {
    total++;
    if (!findIndex(snapshot, drop.name)) done++;
  }
  for (const r of def.renameColumns) {
    total++;
    const cols = findTable(snapshot, r.table)?.columns ?? [];
    if (cols.includes(r.to) && !cols.includes(r.from)) done++;
  }
  for (const c of def.createIndexes) {
    total++;
    if (findIndex(snapshot, c.name)) done++;
  }
  return { done, total };
}
