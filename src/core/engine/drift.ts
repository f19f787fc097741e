/**
 * Drift: how a database differs from the v1 reference (extra objects, missing ones, same-named
 * indexes that mean something else, foreign keys into what Phase 1 drops, half-applied phases).
 * Description only: what the plan does about it is the planner's business.
 */
import { COVERING_INDEXES, indexShape, type PhaseDefinition, PHASES, sameShape, V1_INDEX_SQL, V1_OBJECTS } from '../sql/index.js';
import type { DriftItem, Snapshot } from '../model/index.js';
import { findIndex, findTable, hasColumn, isBookkeeping, referencesTo, sameName } from '../db/index.js';

export function describeDrift(snapshot: Snapshot): DriftItem[] {
  const drift: DriftItem[] = [];
  // SQLite names are case-insensitive (ASCII): so is every comparison here.
  const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()));
  const knownTables = lower(V1_OBJECTS.tables);
  const knownIndexes = lower([
    ...V1_OBJECTS.indexes,
    ...Object.values(PHASES).flatMap((p) => p.createIndexes.map((c) => c.name)),
    ...Object.keys(COVERING_INDEXES),
  ]);
  const knownTriggers = lower(V1_OBJECTS.triggers);

  for (const t of snapshot.tables) {
    if ((t.kind === 'plain' || t.kind === 'virtual') && !knownTables.has(t.name.toLowerCase())) {
      drift.push({ kind: 'extra-table', object: t.name, message: `extra table ${t.name} (left untouched)` });
    }
  }
  for (const i of snapshot.indexes) {
    if (i.sql !== null && !isBookkeeping(i.table) && !knownIndexes.has(i.name.toLowerCase())) {
      drift.push({ kind: 'extra-index', object: i.name, message: `extra index ${i.name} on ${i.table} (left untouched)` });
    }
    const v1 = V1_INDEX_SQL[i.name.toLowerCase()];
    const here = i.sql ? indexShape(i.sql) : null;
    const reference = v1 ? indexShape(v1) : null;
    if (reference && (!here || !sameShape(here, reference))) {
      drift.push({ kind: 'definition-differs', object: i.name, message: `index ${i.name} is "${i.sql}" here, not v1's "${v1}"` });
    }
  }
  for (const table of Object.values(PHASES).flatMap((p) => p.dropTables)) {
    for (const ref of referencesTo(snapshot, table)) {
      drift.push({
        kind: 'foreign-key',
        object: ref.table,
        message: `${ref.table}(${ref.columns.join(', ')}) has a foreign key to ${table}, which Phase 1 drops`,
      });
    }
  }
  for (const v of snapshot.views) {
    drift.push({ kind: 'extra-view', object: v.name, message: `view ${v.name} (left untouched)` });
  }
  for (const t of snapshot.triggers) {
    if (!knownTriggers.has(t.name.toLowerCase()) && !isBookkeeping(t.table)) {
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
    if (!snapshot.triggers.some((t) => sameName(t.name, name))) {
      drift.push({ kind: 'missing-object', object: name, message: `trigger ${name} is missing (v1 has it)` });
    }
  }
  const users = findTable(snapshot, 'users');
  if (hasColumn(users, 'api_key_hash') && !hasColumn(users, 'api_key')) {
    drift.push({ kind: 'column-renamed', object: 'users.api_key', message: 'users.api_key is already named api_key_hash' });
  }
  for (const def of Object.values(PHASES)) {
    const { done, total } = phaseProgress(snapshot, def);
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
export function phaseProgress(snapshot: Snapshot, def: PhaseDefinition): { done: number; total: number } {
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
    const table = findTable(snapshot, r.table);
    if (hasColumn(table, r.to) && !hasColumn(table, r.from)) done++;
  }
  for (const c of def.createIndexes) {
    total++;
    if (findIndex(snapshot, c.name)) done++;
  }
  return { done, total };
}
