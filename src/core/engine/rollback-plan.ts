/**
 * Pure: which statements undo the journal's apply entries of one phase, given the database as
 * it is now. Dropped objects come back from their recorded DDL byte for byte, archived rows
 * with their rowids, the sqlite_sequence value as it was. Like the forward planner it skips
 * what is already true and blocks on what has no safe answer.
 */
import { ARCHIVE_ROWID, findIndex, findTable, GUARD_MARK, guardStatement, hasColumn, sameName, type Stmt } from '../db/index.js';
import { activeApplies, type DroppedObject, type JournalEntry } from './journal.js';
import { normalizeSql, type PhaseId, plainIdent, quoteIdent } from '../sql/index.js';
import type { ArchivePlan } from './planner.js';
import type { Snapshot, TableInfo } from '../model/index.js';

export interface RollbackPlan {
  phase: PhaseId;
  /** Apply entries undone, newest first. */
  entries: number[];
  statements: Stmt[];
  /** Objects the undo drops (the indexes the apply created), for the rollback's journal entry. */
  dropped: string[];
  alreadyDone: string[];
  conflicts: string[];
  /** Row counts to expect afterwards, for tables whose rows come back from an archive. */
  expectRows: Record<string, number>;
  /** Archived rows put back, per table. */
  restoredRows: Record<string, number>;
  /** What the undo does differently from a plain reversal (a recreated table filled). */
  notes: string[];
}

/** Facts the pure planner cannot see in a snapshot, read by the caller just before planning. */
export interface RollbackFacts {
  /** Per archive table: rows of the recreated table that already use an archived rowid. */
  collisions: Record<string, number>;
  /**
   * Per archive table: its rowid is an INTEGER PRIMARY KEY column. Only then does the transfer
   * form keep rowids (without one, SQLite hands out new ones); unknown means no.
   */
  rowidAliased?: Record<string, boolean>;
  /** Per archive table: rows it lost are explained by deleted parent rows (ON DELETE CASCADE). */
  cascadeExplained?: Record<string, boolean>;
}

const ORDER: Record<DroppedObject['type'], number> = { table: 0, index: 1, trigger: 2, view: 3 };

export function planRollback(snapshot: Snapshot, phase: PhaseId, entries: JournalEntry[], facts: RollbackFacts = { collisions: {} }): RollbackPlan {
  const plan: RollbackPlan = {
    phase,
    entries: entries.map((e) => e.id),
    statements: [],
    dropped: [],
    alreadyDone: [],
    conflicts: [],
    expectRows: {},
    restoredRows: {},
    notes: [],
  };
  for (const entry of entries) {
    // Renames first: a RENAME COLUMN re-reads every trigger, so the FTS table a repair created must still be there.
    for (const rename of [...entry.renamed].reverse()) {
      const table = findTable(snapshot, rename.table);
      const hasTo = hasColumn(table, rename.to);
      const hasFrom = hasColumn(table, rename.from);
      if (hasTo && !hasFrom) {
        plan.statements.push({
          sql: `ALTER TABLE ${plainIdent(rename.table)} RENAME COLUMN ${plainIdent(rename.to)} TO ${plainIdent(rename.from)}`,
        });
      } else if (hasFrom && !hasTo) {
        plan.alreadyDone.push(`column ${rename.table}.${rename.from} already has its old name`);
      } else {
        plan.conflicts.push(`${rename.table} has ${hasFrom ? 'both' : 'neither of'} ${rename.from} and ${rename.to}; cannot rename back safely.`);
      }
    }
    for (const name of entry.created) {
      // An FTS table recreated by --repair-fts is dropped with its shadow tables; anything else created is an index.
      const table = findTable(snapshot, name);
      if (table?.kind === 'virtual') {
        plan.statements.push({ sql: `DROP TABLE ${plainIdent(table.name)}` });
        plan.dropped.push(table.name);
      } else if (findIndex(snapshot, name)) {
        plan.statements.push({ sql: `DROP INDEX ${plainIdent(name)}` });
        plan.dropped.push(name);
      } else plan.alreadyDone.push(`${table ? 'table' : 'index'} ${name} already absent`);
    }
    const dropped = [...entry.dropped].sort((a, b) => ORDER[a.type] - ORDER[b.type]);
    for (const object of dropped) restoreObject(plan, snapshot, entry, object, facts);
  }
  if (plan.conflicts.length > 0) plan.statements = [];
  return plan;
}

/**
 * Every statement that undoes the applied phases, Phase 2 first, guards left out: what smoke and
 * verify replay (in a discarded transaction, on a scratch schema) to see the database as it was
 * before the migration. Null when nothing is applied or an undo has no safe plan.
 */
export function undoOfApplied(snapshot: Snapshot, journal: JournalEntry[]): Stmt[] | null {
  const plans = (['phase2', 'phase1'] as const).map((phase) => planRollback(snapshot, phase, activeApplies(journal, phase)));
  if (plans.every((p) => p.entries.length === 0) || plans.some((p) => p.conflicts.length > 0)) return null;
  return plans.flatMap((p) => p.statements.filter((s) => !s.sql.includes(GUARD_MARK)));
}

const CREATE_OF: Record<DroppedObject['type'], RegExp> = {
  table: /^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?/i,
  index: /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?/i,
  trigger: /^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?/i,
  view: /^\s*CREATE\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?/i,
};
const NAME_TOKEN = /^(?:"((?:[^"]|"")*)"|\[([^\]]*)\]|`((?:[^`]|``)*)`|([^\s(.]+))/;

/**
 * The journal's DDL is what rollback runs: it must be a CREATE of the type and name it is
 * recorded under (an altered journal could otherwise plant a trigger under an index's name).
 */
export function ddlIsOf(object: DroppedObject): boolean {
  const head = CREATE_OF[object.type].exec(object.sql);
  if (!head) return false;
  let rest = object.sql.slice(head[0].length);
  const unquote = (t: RegExpExecArray) => t[1]?.replace(/""/g, '"') ?? t[2] ?? t[3]?.replace(/``/g, '`') ?? t[4];
  let token = NAME_TOKEN.exec(rest);
  if (token && rest.slice(token[0].length).trimStart().startsWith('.')) {
    // Only the main schema: a temp. object would satisfy the row guard and vanish with the connection.
    if (!sameName(unquote(token), 'main')) return false;
    rest = rest.slice(token[0].length).trimStart().slice(1).trimStart();
    token = NAME_TOKEN.exec(rest);
  }
  if (!token) return false;
  return sameName(unquote(token), object.name);
}

function restoreObject(plan: RollbackPlan, snapshot: Snapshot, entry: JournalEntry, object: DroppedObject, facts: RollbackFacts): void {
  if (!ddlIsOf(object)) {
    plan.conflicts.push(
      `the journal records ${object.type} ${object.name} with DDL that is not a CREATE ${object.type.toUpperCase()} of that name: the journal was altered; restore from the backup instead.`,
    );
    return;
  }
  const exists =
    object.type === 'table'
      ? findTable(snapshot, object.name)
      : object.type === 'index'
        ? findIndex(snapshot, object.name)
        : [...snapshot.triggers, ...snapshot.views].find((o) => sameName(o.name, object.name));
  const sameDefinition = exists?.sql != null && (exists.sql === object.sql || normalizeSql(exists.sql) === normalizeSql(object.sql));
  if (exists && !sameDefinition) {
    plan.conflicts.push(
      `${object.type} ${exists.name} exists again with a different definition ("${exists.sql}"); rollback would not know where its old rows belong. ` +
        `Move it aside (ALTER TABLE ... RENAME TO ..., or drop it if it is empty and unused), then roll back.`,
    );
    return;
  }
  if (exists && object.type !== 'table') {
    plan.alreadyDone.push(`${object.type} ${object.name} already present`);
    return;
  }
  if (!exists) plan.statements.push({ sql: object.sql });
  if (object.type !== 'table') return;

  const archive = entry.archive;
  if (!archive || !sameName(archive.table, object.name)) {
    if (exists) plan.alreadyDone.push(`table ${object.name} already present`);
    return;
  }
  const archived = findTable(snapshot, archive.archiveTable);
  if (!archived) {
    plan.conflicts.push(`the rows of ${object.name} were kept in ${archive.archiveTable}, which is gone; restore from the backup instead.`);
    return;
  }
  const recorded = entry.beforeCounts[object.name] ?? entry.beforeCounts[archive.table];
  let expected = recorded;
  if (recorded !== undefined && archived.rows !== recorded) {
    // A renamed archive keeps the table's foreign keys: deleting a user after Phase 1 deletes
    // that user's archived rows exactly as it would have deleted them from the table.
    if (!(archive.method === 'rename' && (archived.rows ?? 0) < recorded && facts.cascadeExplained?.[archive.archiveTable] === true)) {
      plan.conflicts.push(`${archive.archiveTable} holds ${archived.rows} rows but ${object.name} had ${recorded}; restore from the backup instead.`);
      return;
    }
    expected = archived.rows ?? 0;
    plan.notes.push(
      `${recorded - expected} of the ${recorded} archived ${object.name} rows were deleted since Phase 1 by ON DELETE CASCADE (their parent rows were deleted, as the application does); the ${expected} that remain go back.`,
    );
  }
  const table = exists ? (exists as TableInfo).name : object.name;
  const laterRows = exists ? ((exists as TableInfo).rows ?? 0) : 0;
  const collisions = facts.collisions[archive.archiveTable] ?? 0;
  if (collisions > 0) {
    plan.conflicts.push(
      `${table} was recreated and holds ${laterRows} rows written since Phase 1, ${collisions} of them with the rowid of an archived row: restoring would overwrite them. ` +
        `Move those rows aside (or restore from the backup), then roll back.`,
    );
    return;
  }
  const rowidAlias = archive.hasRowid ? (['rowid', '_rowid_', 'oid'].find((a) => !archive.columns.some((c) => sameName(c, a))) ?? null) : null;
  if (archive.hasRowid && !rowidAlias) {
    plan.conflicts.push(`${table} has columns named rowid, _rowid_ and oid, so its rowids cannot be written back; restore from the backup instead.`);
    return;
  }
  const columns = archive.columns.map(quoteIdent);
  const target = [rowidAlias, ...columns].filter(Boolean).join(', ');
  const source = [rowidAlias ? archivedRowid(archive, rowidAlias) : null, ...columns].filter(Boolean).join(', ');
  if (exists) {
    // Rows written since stay; a guard fails the write if one took an archived rowid meanwhile.
    plan.statements.push(collisionGuard(table, archive, rowidAlias));
    plan.notes.push(
      `${table} exists again (recreated after Phase 1) with the same definition${laterRows ? ` and ${laterRows} rows written since, which stay` : ', empty'}: the ${archived.rows ?? 0} archived rows go back into it.`,
    );
  }
  const keepsRowids = !archive.hasRowid || facts.rowidAliased?.[archive.archiveTable] === true;
  if (archive.method === 'rename' && keepsRowids && (!exists || laterRows === 0)) {
    // The table was just created from its own DDL (or was recreated empty with the same one) and the archive is that very table renamed:
    // this exact form lets SQLite move each record's pages as they are (its transfer
    // optimization: no value is built in memory, rowids kept). Indexes and triggers come after.
    plan.statements.push({ sql: `INSERT INTO ${quoteIdent(table)} SELECT * FROM ${quoteIdent(archive.archiveTable)}` });
  } else {
    plan.statements.push({ sql: `INSERT INTO ${quoteIdent(table)} (${target}) SELECT ${source} FROM ${quoteIdent(archive.archiveTable)}` });
  }
  if (/autoincrement/i.test(object.sql)) {
    if (!exists) {
      // Inserting rows rewrote the sequence; put back exactly what it was (or its absence). A BigInt
      // binds as INTEGER: a JS number is sent as REAL and the untyped seq column would keep 12.0.
      plan.statements.push({ sql: 'DELETE FROM sqlite_sequence WHERE name = ?', args: [table] });
      if (entry.sequence !== null)
        plan.statements.push({ sql: 'INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', args: [table, BigInt(entry.sequence)] });
    } else if (entry.sequence !== null) {
      // The recreated table has its own counter; never let it hand out an archived row's id again.
      plan.statements.push({ sql: 'UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?', args: [BigInt(entry.sequence), table] });
    }
  }
  plan.statements.push({ sql: `DROP TABLE ${plainIdent(archive.archiveTable)}` });
  plan.expectRows[table] = (expected ?? archived.rows ?? 0) + laterRows;
  plan.restoredRows[table] = expected ?? archived.rows ?? 0;
}

function collisionGuard(table: string, archive: ArchivePlan, rowidAlias: string | null): Stmt {
  const on = rowidAlias ? `t.${rowidAlias} = a.${archivedRowid(archive, rowidAlias)}` : '0';
  return guardStatement(
    'collision',
    `NOT EXISTS (SELECT 1 FROM ${quoteIdent(table)} AS t JOIN ${quoteIdent(archive.archiveTable)} AS a ON ${on})`,
    quoteIdent(archive.archiveTable),
  );
}

/** How an archived row's rowid is read: a renamed table has its own; a copy of earlier versions kept it in a column. */
export function archivedRowid(archive: ArchivePlan, rowidAlias: string): string {
  return archive.method === 'rename' ? rowidAlias : quoteIdent(ARCHIVE_ROWID);
}
