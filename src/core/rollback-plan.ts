/**
 * Pure: which statements undo the journal's apply entries of one phase, given the database as
 * it is now. Dropped objects come back from their recorded DDL byte for byte, archived rows
 * with their rowids, the sqlite_sequence value as it was. Like the forward planner it skips
 * what is already true and blocks on what has no safe answer.
 */
import type { Stmt } from './db.js';
import type { DroppedObject, JournalEntry } from './journal.js';
import type { PhaseId } from './phases.js';
import { findIndex, findTable, type Snapshot } from './snapshot.js';
import { plainIdent, quoteIdent } from './sql-text.js';

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
}

const ORDER: Record<DroppedObject['type'], number> = { table: 0, index: 1, trigger: 2, view: 3 };

export function planRollback(snapshot: Snapshot, phase: PhaseId, entries: JournalEntry[]): RollbackPlan {
  const plan: RollbackPlan = { phase, entries: entries.map((e) => e.id), statements: [], dropped: [], alreadyDone: [], conflicts: [], expectRows: {} };
  for (const entry of entries) {
    for (const name of entry.created) {
      if (findIndex(snapshot, name)) {
        plan.statements.push({ sql: `DROP INDEX ${plainIdent(name)}` });
        plan.dropped.push(name);
      } else plan.alreadyDone.push(`index ${name} already absent`);
    }
    for (const rename of [...entry.renamed].reverse()) {
      const columns = findTable(snapshot, rename.table)?.columns ?? [];
      if (columns.includes(rename.to) && !columns.includes(rename.from)) {
        plan.statements.push({
          sql: `ALTER TABLE ${plainIdent(rename.table)} RENAME COLUMN ${plainIdent(rename.to)} TO ${plainIdent(rename.from)}`,
        });
      } else if (columns.includes(rename.from) && !columns.includes(rename.to)) {
        plan.alreadyDone.push(`column ${rename.table}.${rename.from} already has its old name`);
      } else {
        plan.conflicts.push(`${rename.table} has ${columns.includes(rename.from) ? 'both' : 'neither of'} ${rename.from} and ${rename.to}; cannot rename back safely.`);
      }
    }
    const dropped = [...entry.dropped].sort((a, b) => ORDER[a.type] - ORDER[b.type]);
    for (const object of dropped) restoreObject(plan, snapshot, entry, object);
  }
  if (plan.conflicts.length > 0) plan.statements = [];
  return plan;
}

function restoreObject(plan: RollbackPlan, snapshot: Snapshot, entry: JournalEntry, object: DroppedObject): void {
  const exists =
    object.type === 'table'
      ? findTable(snapshot, object.name)
      : object.type === 'index'
        ? findIndex(snapshot, object.name)
        : [...snapshot.triggers, ...snapshot.views].find((o) => o.name === object.name);
  if (exists) {
    if (exists.sql === object.sql) plan.alreadyDone.push(`${object.type} ${object.name} already present`);
    else plan.conflicts.push(`${object.type} ${object.name} exists again with a different definition; move it aside, then roll back.`);
    return;
  }
  plan.statements.push({ sql: object.sql });
  if (object.type !== 'table') return;

  const archive = entry.archive;
  if (!archive || archive.table !== object.name) return;
  const archived = findTable(snapshot, archive.archiveTable);
  if (!archived) {
    plan.conflicts.push(`the rows of ${object.name} were kept in ${archive.archiveTable}, which is gone; restore from the backup instead.`);
    return;
  }
  const expected = entry.beforeCounts[object.name];
  if (expected !== undefined && archived.rows !== expected) {
    plan.conflicts.push(`${archive.archiveTable} holds ${archived.rows} rows but ${object.name} had ${expected}; restore from the backup instead.`);
    return;
  }
  const columns = archive.columns.map(quoteIdent);
  const target = [archive.hasRowid ? 'rowid' : null, ...columns].filter(Boolean).join(', ');
  const source = [archive.hasRowid ? quoteIdent('_schema_wizard_rowid') : null, ...columns].filter(Boolean).join(', ');
  plan.statements.push({ sql: `INSERT INTO ${quoteIdent(object.name)} (${target}) SELECT ${source} FROM ${quoteIdent(archive.archiveTable)}` });
  if (/autoincrement/i.test(object.sql)) {
    // Inserting rows rewrote the sequence; put back exactly what it was (or its absence). A BigInt
    // binds as INTEGER: a JS number is sent as REAL and the untyped seq column would keep 12.0.
    plan.statements.push({ sql: 'DELETE FROM sqlite_sequence WHERE name = ?', args: [object.name] });
    if (entry.sequence !== null) {
      plan.statements.push({ sql: 'INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', args: [object.name, BigInt(entry.sequence)] });
    }
  }
  plan.statements.push({ sql: `DROP TABLE ${plainIdent(archive.archiveTable)}` });
  plan.expectRows[object.name] = expected ?? archived.rows ?? 0;
}
