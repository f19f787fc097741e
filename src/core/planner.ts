/**
 * The planner is pure: snapshot in, plan out. Each phase's plan is the difference between the
 * database as it is and the phase's target, so what is already true is skipped (a re-run is a
 * no-op, a half-applied run is finished) and anything without a safe automatic answer blocks
 * the phase with an explanation instead of a guess.
 */
import { rehearse } from './rehearsal.js';
import { indexShape, sameShape, serves, shapeSql, type IndexShape } from './index-shape.js';
import { COVERING_INDEXES, PHASE_1, PHASES, V1_FTS_SQL, V1_INDEX_SQL, V1_OBJECTS, type ColumnRename, type IndexTarget, type PhaseDefinition, type PhaseId } from './phases.js';
import {
  findColumn,
  findIndex,
  findTable,
  groupForeignKeys,
  hasColumn,
  hasRowid,
  isBookkeeping,
  referencesTo,
  sameName,
  type IndexInfo,
  type PlaintextKeys,
  type Snapshot,
  type TableInfo,
} from './snapshot.js';
import { plainIdent, quoteIdent } from './sql-text.js';

export type StatementKind = 'archive-rows' | 'drop-index' | 'drop-trigger' | 'drop-table' | 'rename-column' | 'create-index' | 'hash-keys' | 'repair-fts';

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

/** What the operator must choose before a phase can run; a headless run refuses (exit 2) until told. */
export interface KeyDecision {
  kind: 'plaintext-keys';
  keys: PlaintextKeys;
}

/** Plaintext keys hashed inside Phase 2's write, and those left as they are (with why). */
export interface KeyHashing {
  column: string;
  /** How users' rows are addressed: rowid, or _rowid_ / oid when a column shadows it. */
  rowid: string;
  hashable: number;
  leftAsIs: { empty: number; blob: number; nul: number; other: number; upperHex: number };
}

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
  /** Why the plan differs from the guide here (a covering index created, a UNIQUE kept). */
  notes: string[];
  /** Objects whose verbatim DDL the journal records before they are dropped. */
  dropped: string[];
  created: string[];
  renamed: ColumnRename[];
  archive: ArchivePlan | null;
  /** Set when the phase waits for the operator's choice (it is blocked until then). */
  decision: KeyDecision | null;
  keyHashing: KeyHashing | null;
}

export type DriftKind =
  | 'extra-table'
  | 'extra-index'
  | 'extra-view'
  | 'extra-trigger'
  | 'missing-object'
  | 'column-renamed'
  | 'partial-phase'
  | 'definition-differs'
  | 'foreign-key'
  | 'broken-object';

export interface DriftItem {
  kind: DriftKind;
  object: string;
  message: string;
}

export interface Plan {
  phases: PhasePlan[];
  drift: DriftItem[];
}

/** What to do with users whose API key is not a SHA-256 hex digest when Phase 2 renames the column. */
export type KeyPolicy = 'hash' | 'keep';

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
    drift.push({ kind: 'broken-object', object: repair.table, message: `${repair.table} is missing but ${repair.triggers.join(', ')} still write${repair.triggers.length === 1 ? 's' : ''} to it (--repair-fts recreates it from ${repair.content} and rebuilds it)` });
  }
  const first = planned.find((p) => p.statements.length > 0 && p.conflicts.length === 0);
  if (options.repairFts && first) {
    for (const repair of repairs) {
      first.statements.unshift(
        { kind: 'repair-fts', object: repair.table, sql: repair.create },
        { kind: 'repair-fts', object: repair.table, sql: `INSERT INTO ${plainIdent(repair.table)}(${plainIdent(repair.table)}) VALUES('rebuild')` },
      );
      first.created.push(repair.table);
      first.notes.push(`repair: ${repair.table} is recreated from ${repair.content} and rebuilt first (--repair-fts); rolling back ${first.title} drops it again.`);
    }
  }
  // Rehearse what would run in a scratch copy of the schema: what would fail or break blocks the phase.
  // A phase waiting only for the plaintext-keys decision is rehearsed too: the dry run shows all it would meet.
  const rehearsal = rehearse(snapshot, planned.map((p) => (p.conflicts.length > 0 ? { ...p, statements: [] } : p)));
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
    const withRowid = hasRowid(table);
    const archiveTable = archiveTableName(options.runId, name);
    plan.archive = { table: name, archiveTable, rows, columns: table.columns, hasRowid: withRowid };
    const rowidColumn = withRowid ? freeRowidAlias(table) : null;
    const selectList = [rowidColumn ? `${rowidColumn} AS ${plainIdent(ARCHIVE_ROWID)}` : null, ...table.columns.map(quoteIdent)]
      .filter(Boolean)
      .join(', ');
    plan.statements.push({
      kind: 'archive-rows',
      object: name,
      sql: `CREATE TABLE ${plainIdent(archiveTable)} AS SELECT ${selectList} FROM ${plainIdent(name)}`,
    });
    if (rows > 0) plan.warnings.push(`${name} holds ${plural(rows, 'row')}: they are kept in ${archiveTable} so rollback brings every one back.`);
    for (const index of snapshot.indexes.filter((i) => sameName(i.table, name) && i.sql !== null)) {
      plan.statements.push({ kind: 'drop-index', object: index.name, sql: `DROP INDEX ${plainIdent(index.name)}` });
      plan.dropped.push(index.name);
    }
    for (const trigger of snapshot.triggers.filter((t) => sameName(t.table, name))) {
      plan.statements.push({ kind: 'drop-trigger', object: trigger.name, sql: `DROP TRIGGER ${plainIdent(trigger.name)}` });
      plan.dropped.push(trigger.name);
    }
    plan.statements.push({ kind: 'drop-table', object: name, sql: `DROP TABLE ${plainIdent(name)}` });
    plan.dropped.push(name);
    dropped.push(table);
  }
  return dropped;
}

/** The archive's column holding each row's rowid. */
export const ARCHIVE_ROWID = '_schema_wizard_rowid';

/** rowid, _rowid_ or oid: whichever a column of the table does not shadow (SQLite's own rule). */
export function freeRowidAlias(table: TableInfo): string | null {
  return ['rowid', '_rowid_', 'oid'].find((alias) => !hasColumn(table, alias)) ?? null;
}

/** 2. Indexes to drop (those of a dropped table went with it). Returns the indexes this phase drops. */
function planIndexDrops(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedTables: TableInfo[]): IndexInfo[] {
  const dropped: IndexInfo[] = [];
  for (const drop of def.dropIndexes) {
    const index = findIndex(snapshot, drop.name);
    if (!index) {
      plan.alreadyDone.push(`index ${drop.name} already absent`);
      continue;
    }
    // Indexes of a table the phase drops go with it (or stay with it when that drop is refused).
    if (droppedTables.some((t) => sameName(t.name, index.table)) || def.dropTables.some((t) => sameName(t, index.table)) || plan.dropped.some((d) => sameName(d, index.name))) continue;
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

/** Columns of a table once this phase's renames are done. */
function columnsAfter(plan: PhasePlan, table: TableInfo | undefined): string[] {
  const columns = [...(table?.columns ?? [])];
  for (const r of plan.renamed) if (table && sameName(r.table, table.name)) columns.splice(columns.findIndex((c) => sameName(c, r.from)), 1, r.to);
  return columns;
}

/**
 * 4. Indexes to create: skip when one of the same shape holds the name, block when a different
 * one does. A replacement (Phase 2's index on the renamed column) keeps the old index's meaning:
 * a UNIQUE index is replaced by a UNIQUE one, a collation is kept.
 */
function planCreates(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedIndexes: IndexInfo[]): void {
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
    plan.conflicts.push(`${old.name} ("${old.sql}") is not a definition this tool can read, so it cannot be replaced by ${wanted.name} with the same meaning; recreate it by hand, then re-run.`);
    return null;
  }
  if (shape.where !== null) {
    plan.conflicts.push(`${old.name} is a partial index (WHERE ${shape.where}); replacing it with ${wanted.name} would change what it covers. Recreate it under the new name by hand, then re-run.`);
    return null;
  }
  const renamed = plan.renamed.find((r) => sameName(r.table, old.table));
  const leading = shape.terms[0]?.split(' ')[0] ?? '';
  if (shape.terms.length !== 1 || !(renamed ? sameName(leading, renamed.from) : sameName(leading, wanted.key[0]))) {
    plan.conflicts.push(`${old.name} here is "${old.sql}", not an index on the key column alone as in v1, so replacing it with ${wanted.name} would change its meaning. Keep it under another name, then re-run.`);
    return null;
  }
  const terms = shape.terms.map((t) => (renamed && sameName(t.split(' ')[0], renamed.from) ? [renamed.to, ...t.split(' ').slice(1)].join(' ') : t));
  const kept = { ...reference, unique: shape.unique, terms };
  if (sameShape(kept, reference)) return wanted;
  const sql = shapeSql(wanted.name, kept);
  plan.notes.push(`${wanted.name} is created as "${sql}": it replaces ${old.name} ("${old.sql}") and keeps its meaning${shape.unique ? ' (UNIQUE: no two users may share a key)' : ''}.`);
  return { ...wanted, sql, key: terms };
}

/** Creates `target` unless an index of its shape holds the name; `reason` is said in the plan. */
function addIndex(plan: PhasePlan, snapshot: Snapshot, target: IndexTarget, reason: string | null): void {
  const existing = findIndex(snapshot, target.name);
  const wantedShape = indexShape(target.sql)!;
  if (existing) {
    const shape = existing.sql ? indexShape(existing.sql) : null;
    if (shape && sameShape(shape, wantedShape)) plan.alreadyDone.push(`index ${target.name} already present`);
    else plan.conflicts.push(`an index named ${existing.name} already exists with a different definition (${existing.sql ?? 'automatic'}); drop or rename it, then re-run.`);
    return;
  }
  const table = findTable(snapshot, target.table);
  if (!table) {
    plan.conflicts.push(`table ${target.table} does not exist, so ${target.name} cannot be created.`);
    return;
  }
  const available = columnsAfter(plan, table);
  const missing = target.key
    .map((term) => /\((\w+)\)/.exec(term)?.[1] ?? term.split(' ')[0])
    .filter((c) => !available.some((a) => sameName(a, c)));
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
  for (const s of plan.statements) if (s.kind === 'create-index') {
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
function planCoverage(plan: PhasePlan, snapshot: Snapshot, def: PhaseDefinition, droppedIndexes: IndexInfo[]): void {
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
function keepForeignKeyLookups(plan: PhasePlan, snapshot: Snapshot, droppedTables: TableInfo[], droppedIndexes: IndexInfo[]): void {
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
      plan.conflicts.push(`after this phase no index on ${fk.table} would be led by (${fk.columns.join(', ')}), the foreign key to ${fk.parent}: every delete of a ${fk.parent} row would scan ${fk.table}. Create such an index, then re-run.`);
    }
  }
}

/** 7. Plaintext API keys: Phase 2's rename locks those users out unless the keys are hashed. */
function planKeys(plan: PhasePlan, snapshot: Snapshot, policy: KeyPolicy | undefined): void {
  const keys = snapshot.plaintextKeys;
  if (!keys || keys.count === 0 || plan.renamed.length === 0) {
    if (keys && keys.count > 0) plan.warnings.push(`${plural(keys.count, 'user')} hold${keys.count === 1 ? 's' : ''} an API key that is not a SHA-256 hex digest in users.${keys.column}; the application cannot authenticate ${keys.count === 1 ? 'that user' : 'them'}.`);
    return;
  }
  const unhashable = keys.count - keys.hashable;
  const leftAsIs = describeUnhashable(keys);
  if (policy === undefined) {
    plan.decision = { kind: 'plaintext-keys', keys };
    return;
  }
  if (policy === 'keep') {
    plan.warnings.push(`${plural(keys.count, 'user')} hold${keys.count === 1 ? 's' : ''} a plaintext API key: after the rename ${keys.count === 1 ? 'that user' : 'those users'} cannot authenticate until the keys are hashed (--keep-plaintext-keys was given).`);
    return;
  }
  const users = findTable(snapshot, 'users');
  const alias = users ? freeRowidAlias(users) : null;
  if (keys.hashable > 0 && (!alias || !users || !hasRowid(users))) {
    plan.conflicts.push('users has no usable rowid (WITHOUT ROWID, or columns named rowid, _rowid_ and oid), so its keys cannot be hashed one row at a time; hash them yourself after a backup, or use --keep-plaintext-keys.');
    return;
  }
  plan.keyHashing = { column: plan.renamed[0].to, rowid: alias ?? 'rowid', hashable: keys.hashable, leftAsIs: { empty: keys.empty, blob: keys.blob, nul: keys.nul, other: keys.other, upperHex: keys.upperHex } };
  if (keys.hashable > 0) {
    plan.statements.push({ kind: 'hash-keys', object: `users.${plan.renamed[0].to}`, sql: HASH_KEYS_SQL_DESCRIPTION });
    plan.warnings.push(`${plural(keys.hashable, 'plaintext API key')} will be replaced by ${keys.hashable === 1 ? 'its' : 'their'} SHA-256 hex in Phase 2's write; only the backup holds the originals.`);
  }
  if (unhashable > 0) plan.warnings.push(`${plural(unhashable, 'key')} ${unhashable === 1 ? 'is' : 'are'} left as ${unhashable === 1 ? 'it is' : 'they are'} (${leftAsIs}): ${unhashable === 1 ? 'that user' : 'those users'} cannot authenticate until given a new key.`);
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
    const word = new RegExp(`(^|[^\\w$])["'\`\\[]?${table}["'\`\\]]?([^\\w$]|$)`, 'i');
    const triggers = snapshot.triggers.filter((t) => t.sql && word.test(t.sql)).map((t) => t.name);
    if (triggers.length === 0) continue;
    const create = V1_FTS_SQL[table];
    const content = /content='(\w+)'/.exec(create)?.[1] ?? '';
    const columns = /fts5\(([^)]*)\)/.exec(create)?.[1].split(',').map((c) => c.trim()).filter((c) => !c.includes('=')) ?? [];
    const source = findTable(snapshot, content);
    if (!source || !columns.every((c) => hasColumn(source, c))) continue;
    repairs.push({ table, content, create, triggers });
  }
  return repairs;
}

/** The words for keys that are never hashed, and why. */
export function describeUnhashable(keys: PlaintextKeys): string {
  return [
    keys.empty ? `${keys.empty} empty (hashing would make the empty string a valid credential)` : '',
    keys.blob ? `${keys.blob} BLOB (not a text key)` : '',
    keys.nul ? `${keys.nul} with a NUL byte (the driver would cut them)` : '',
    keys.other ? `${keys.other} numeric` : '',
    keys.upperHex ? `${keys.upperHex} stored as upper-case hex (the application compares lower-case hex: lower() them)` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** How the plan shows the hashing step (the real statements are built at apply time, from the rows). */
export const HASH_KEYS_SQL_DESCRIPTION = 'UPDATE users SET api_key_hash = <sha256 hex of the key> WHERE the key is non-empty plaintext (bound per row from a scratch table; values never printed)';

/** Views, triggers on other tables, and foreign keys that name `table`. */
/**
 * Views and triggers on other tables whose text names `table` (a first filter; the rehearsal
 * compiles every one of them against the schema the phase leaves). Foreign keys are read
 * from SQLite itself (referencesTo), never from text.
 */
function dependentsOutside(snapshot: Snapshot, table: string): string[] {
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = new RegExp(`(^|[^\\w$])["'\`\\[]?${escaped}["'\`\\]]?([^\\w$]|$)`, 'i');
  const found: string[] = [];
  for (const v of snapshot.views) if (v.sql && word.test(v.sql)) found.push(`view ${v.name}`);
  for (const t of snapshot.triggers) if (!sameName(t.table, table) && t.sql && word.test(t.sql)) found.push(`trigger ${t.name}`);
  return found;
}

function describeDrift(snapshot: Snapshot): DriftItem[] {
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
      drift.push({ kind: 'foreign-key', object: ref.table, message: `${ref.table}(${ref.columns.join(', ')}) has a foreign key to ${table}, which Phase 1 drops` });
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
    const table = findTable(snapshot, r.table);
    if (hasColumn(table, r.to) && !hasColumn(table, r.from)) done++;
  }
  for (const c of def.createIndexes) {
    total++;
    if (findIndex(snapshot, c.name)) done++;
  }
  return { done, total };
}
