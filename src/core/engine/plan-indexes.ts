/**
 * The index part of a phase's plan: what it drops (never a UNIQUE, partial or otherwise
 * different twin of the guide's index), what it creates (keeping a replaced index's meaning),
 * and the guarantees behind "covered by": a covering index and every foreign key lookup still
 * served once the phase is done. Pure, like the planner it serves; imports only leaves.
 */
import {
  COVERING_INDEXES,
  indexShape,
  type IndexShape,
  type IndexTarget,
  PHASE_1,
  type PhaseDefinition,
  plainIdent,
  sameShape,
  serves,
  shapeSql,
  V1_INDEX_SQL,
} from '../sql/index.js';
import type { IndexInfo, PhasePlan, Snapshot, TableInfo } from '../model/index.js';
import { findIndex, findTable, groupForeignKeys, sameName } from '../db/index.js';

/** 2. Indexes to drop (those of a dropped table went with it). Returns the indexes this phase drops. */
export function planIndexDrops(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedTables: TableInfo[]): IndexInfo[] {
  const dropped: IndexInfo[] = [];
  for (const drop of def.dropIndexes) {
    const index = findIndex(snapshot, drop.name);
    if (!index) {
      plan.alreadyDone.push(`index ${drop.name} already absent`);
      continue;
    }
    // Indexes of a table the phase drops go with it (or stay with it when that drop is refused).
    if (
      droppedTables.some((t) => sameName(t.name, index.table)) ||
      def.dropTables.some((t) => sameName(t, index.table)) ||
      plan.dropped.some((d) => sameName(d, index.name))
    )
      continue;
    if (index.sql === null) {
      plan.conflicts.push(`${index.name} is an automatic index (a UNIQUE or PRIMARY KEY constraint) and cannot be dropped.`);
      continue;
    }
    const isReplaced = def.createIndexes.some((c) => c.replaces === drop.name);
    const problem = isReplaced ? null : differsFromV1(index);
    if (problem) {
      plan.conflicts.push(
        `${index.name} here is "${index.sql}", which is ${problem}, not v1's "${V1_INDEX_SQL[drop.name]}": the guide's reason to drop it does not hold for this definition. ` +
          `Keep it under another name (or drop it yourself if nothing needs it), then re-run.`,
      );
      continue;
    }
    plan.statements.push({ kind: 'drop-index', object: index.name, sql: `DROP INDEX ${plainIdent(index.name)}` });
    plan.dropped.push(index.name);
    dropped.push(index);
  }
  return dropped;
}

/** How an index differs from v1's of the same name, in words; null when it is the same index. */
function differsFromV1(index: IndexInfo): string | null {
  const v1 = V1_INDEX_SQL[index.name.toLowerCase()];
  const here = index.sql ? indexShape(index.sql) : null;
  const reference = v1 ? indexShape(v1) : null;
  if (!reference) return null;
  if (!here) return 'not a definition this tool can read';
  if (here.unique && !reference.unique) return 'UNIQUE (a constraint the application may rely on)';
  if (here.where !== null) return `a partial index (WHERE ${here.where})`;
  if (!sameShape({ ...here, unique: reference.unique }, reference)) return `on (${here.terms.join(', ')})`;
  return null;
}

/** Columns of a table once this phase's renames are done. */
function columnsAfter(plan: PhasePlan, table: TableInfo | undefined): string[] {
  const columns = [...(table?.columns ?? [])];
  for (const r of plan.renamed)
    if (table && sameName(r.table, table.name))
      columns.splice(
        columns.findIndex((c) => sameName(c, r.from)),
        1,
        r.to,
      );
  return columns;
}

/**
 * 4. Indexes to create: skip when one of the same shape holds the name, block when a different
 * one does. A replacement (Phase 2's index on the renamed column) keeps the old index's meaning:
 * a UNIQUE index is replaced by a UNIQUE one, a collation is kept.
 */
export function planCreates(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedIndexes: IndexInfo[]): void {
  for (const wanted of def.createIndexes) {
    const replaced = replacedBy(wanted, droppedIndexes);
    const target = replaced ? keepMeaning(plan, wanted, replaced) : wanted;
    if (!target) continue;
    addIndex(plan, snapshot, target, null);
  }
}

/** The index a phase drops and replaces with `wanted` (idx_users_api_key for idx_users_api_key_hash). */
function replacedBy(wanted: IndexTarget, droppedIndexes: IndexInfo[]): IndexInfo | undefined {
  return wanted.replaces ? droppedIndexes.find((i) => sameName(i.name, wanted.replaces!)) : undefined;
}

function keepMeaning(plan: PhasePlan, wanted: IndexTarget, old: IndexInfo): IndexTarget | null {
  const shape = old.sql ? indexShape(old.sql) : null;
  const reference = indexShape(wanted.sql)!;
  if (!shape) {
    plan.conflicts.push(
      `${old.name} ("${old.sql}") is not a definition this tool can read, so it cannot be replaced by ${wanted.name} with the same meaning; recreate it by hand, then re-run.`,
    );
    return null;
  }
  if (shape.where !== null) {
    plan.conflicts.push(
      `${old.name} is a partial index (WHERE ${shape.where}); replacing it with ${wanted.name} would change what it covers. Recreate it under the new name by hand, then re-run.`,
    );
    return null;
  }
  const renamed = plan.renamed.find((r) => sameName(r.table, old.table));
  const leading = shape.terms[0]?.split(' ')[0] ?? '';
  if (shape.terms.length !== 1 || !(renamed ? sameName(leading, renamed.from) : sameName(leading, wanted.key[0]))) {
    plan.conflicts.push(
      `${old.name} here is "${old.sql}", not an index on the key column alone as in v1, so replacing it with ${wanted.name} would change its meaning. Keep it under another name, then re-run.`,
    );
    return null;
  }
  const terms = shape.terms.map((t) => (renamed && sameName(t.split(' ')[0], renamed.from) ? [renamed.to, ...t.split(' ').slice(1)].join(' ') : t));
  const kept = { ...reference, unique: shape.unique, terms };
  if (sameShape(kept, reference)) return wanted;
  const sql = shapeSql(wanted.name, kept);
  plan.notes.push(
    `${wanted.name} is created as "${sql}": it replaces ${old.name} ("${old.sql}") and keeps its meaning${shape.unique ? ' (UNIQUE: no two users may share a key)' : ''}.`,
  );
  return { ...wanted, sql, key: terms };
}

/** Creates `target` unless an index of its shape holds the name; `reason` is said in the plan. */
function addIndex(plan: PhasePlan, snapshot: Snapshot, target: IndexTarget, reason: string | null): void {
  const existing = findIndex(snapshot, target.name);
  const wantedShape = indexShape(target.sql)!;
  if (existing) {
    const shape = existing.sql ? indexShape(existing.sql) : null;
    if (shape && sameShape(shape, wantedShape)) plan.alreadyDone.push(`index ${target.name} already present`);
    else
      plan.conflicts.push(
        `an index named ${existing.name} already exists with a different definition (${existing.sql ?? 'automatic'}); drop or rename it, then re-run.`,
      );
    return;
  }
  const table = findTable(snapshot, target.table);
  if (!table) {
    plan.conflicts.push(`table ${target.table} does not exist, so ${target.name} cannot be created.`);
    return;
  }
  const available = columnsAfter(plan, table);
  const missing = target.key.map((term) => /\((\w+)\)/.exec(term)?.[1] ?? term.split(' ')[0]).filter((c) => !available.some((a) => sameName(a, c)));
  if (missing.length > 0) {
    plan.conflicts.push(`${table.name} has no column ${missing.join(', ')}, so ${target.name} cannot be created.`);
    return;
  }
  plan.statements.push({ kind: 'create-index', object: target.name, sql: target.sql });
  plan.created.push(target.name);
  if (reason) plan.notes.push(reason);
}

/** Indexes on `table` once the phase is done: what exists, less what it drops, plus what it creates. */
function indexesAfter(plan: PhasePlan, snapshot: Snapshot, table: string): IndexShape[] {
  const kept = snapshot.indexes.filter((i) => sameName(i.table, table) && !plan.dropped.some((d) => sameName(d, i.name)));
  const shapes = kept.map((i) => (i.sql ? indexShape(i.sql) : automaticShape(i))).filter((s): s is IndexShape => s !== null);
  for (const s of plan.statements)
    if (s.kind === 'create-index') {
      const shape = indexShape(s.sql);
      if (shape && sameName(shape.table, table)) shapes.push(shape);
    }
  return shapes;
}

function automaticShape(index: IndexInfo): IndexShape | null {
  if (index.columns.some((c) => c === null)) return null;
  return { unique: true, table: index.table.toLowerCase(), terms: index.columns.map((c) => c!.toLowerCase()), where: null };
}

/**
 * 5. "Covered by X" is a guarantee: each covered drop needs an index led by X's key once the
 * phase is done. Where none will exist, the phase creates X as the application defines it.
 */
export function planCoverage(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedIndexes: IndexInfo[]): void {
  for (const drop of def.dropIndexes) {
    if (!drop.coveredBy || !droppedIndexes.some((i) => sameName(i.name, drop.name))) continue;
    const coverer = COVERING_INDEXES[drop.coveredBy] ?? [...PHASE_1.createIndexes, ...def.createIndexes].find((c) => c.name === drop.coveredBy);
    if (!coverer) continue;
    const key = indexShape(coverer.sql)!.terms;
    // Created by this phase already (Phase 2's replacement keeps the old index's collation): it covers.
    if (plan.created.some((c) => sameName(c, coverer.name))) continue;
    if (indexesAfter(plan, snapshot, coverer.table).some((shape) => serves(shape, key))) continue;
    const before = plan.conflicts.length;
    addIndex(plan, snapshot, coverer, `created ${coverer.name}: it covers ${drop.name}, which this phase drops, and this database lacks it.`);
    if (plan.conflicts.length > before) {
      plan.conflicts.push(`${drop.name} is dropped only when an index on ${coverer.table}(${key.join(', ')}) remains, and none can be created here.`);
    }
  }
}

/**
 * 6. SQLite looks up child rows by their foreign key columns on every parent DELETE or UPDATE
 * (deleting a user cascades into four tables): an index that served such a lookup before the
 * phase must have a successor after it.
 */
export function keepForeignKeyLookups(plan: PhasePlan, snapshot: Snapshot, droppedTables: TableInfo[], droppedIndexes: IndexInfo[]): void {
  if (droppedIndexes.length === 0) return;
  for (const fk of groupForeignKeys(snapshot.foreignKeys)) {
    if (droppedTables.some((t) => sameName(t.name, fk.table))) continue;
    const key = fk.columns.map((c) => c.toLowerCase());
    const servedBefore = snapshot.indexes
      .filter((i) => sameName(i.table, fk.table))
      .map((i) => (i.sql ? indexShape(i.sql) : automaticShape(i)))
      .some((s) => s !== null && serves(s, key));
    if (!servedBefore) continue;
    if (!indexesAfter(plan, snapshot, fk.table).some((s) => serves(s, key))) {
      plan.conflicts.push(
        `after this phase no index on ${fk.table} would be led by (${fk.columns.join(', ')}), the foreign key to ${fk.parent}: every delete of a ${fk.parent} row would scan ${fk.table}. Create such an index, then re-run.`,
      );
    }
  }
}
