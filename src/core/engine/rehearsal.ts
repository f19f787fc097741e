/**
 * The dry run's rehearsal: the database's schema (no rows) is rebuilt in a scratch in-memory
 * engine, every view and trigger is compiled, each planned phase is run there, and everything
 * is compiled again. A phase that would fail (a RENAME COLUMN re-reads every trigger and view)
 * or that would leave an object that no longer compiles (INDEXED BY a dropped index, a trigger
 * on a dropped table) is found here, before any write, with the object and the fix. Objects
 * already broken before the phase are reported as drift, not blamed on the migration.
 * Views and triggers are compiled the way SQLite does it: a view when it is read, a trigger
 * when a statement that fires it is prepared.
 */
import Database from 'libsql';
import type { PhasePlan, Snapshot, TableInfo } from '../model/index.js';
import { quoteIdent } from '../sql/index.js';

export interface BrokenObject {
  object: string;
  message: string;
}

export interface Rehearsal {
  /** Views and triggers that do not compile on the database as it is. */
  brokenBefore: BrokenObject[];
  /** Per phase: why it would fail or what it would break (empty when it rehearsed cleanly). */
  problems: Map<PhasePlan['phase'], string[]>;
}

type Scratch = InstanceType<typeof Database>;

export function rehearse(snapshot: Snapshot, phases: PhasePlan[]): Rehearsal {
  const steps = phases.map((p) => ({ title: p.title, statements: p.statements.filter((s) => s.kind !== 'hash-keys') }));
  const found = rehearseSteps(snapshot, steps);
  return { brokenBefore: found.brokenBefore, problems: new Map(phases.map((p, i) => [p.phase, found.problems[i]])) };
}

export interface RehearsalStep {
  /** "Phase 1", "rolling back Phase 2": how messages name the step. */
  title: string;
  statements: { sql: string; args?: unknown }[];
}

/**
 * Runs the steps one after the other on a scratch copy of the schema; for each, why it would
 * fail or what it would leave broken. A step after a failed one is not rehearsed.
 */
export function rehearseSteps(snapshot: Snapshot, steps: RehearsalStep[]): { brokenBefore: BrokenObject[]; problems: string[][] } {
  const db: Scratch = new Database(':memory:');
  try {
    buildSchema(db, snapshot);
    const brokenBefore = compileAll(db);
    const problems: string[][] = [];
    let previousFailed = false;
    for (const step of steps) {
      const found: string[] = [];
      problems.push(found);
      if (step.statements.length === 0 || previousFailed) continue;
      const before = compileAll(db);
      db.exec('SAVEPOINT rehearsal');
      const failure = runStatements(db, step.statements);
      if (failure) {
        db.exec('ROLLBACK TO rehearsal');
        db.exec('RELEASE rehearsal');
        found.push(`${step.title} would fail at "${failure.sql}": ${failure.message}.${hintFor(failure.message, before)}`);
        previousFailed = true;
        continue;
      }
      db.exec('RELEASE rehearsal');
      const known = new Set(before.map((b) => b.object));
      for (const broken of compileAll(db).filter((b) => !known.has(b.object))) {
        found.push(
          `${broken.object} would stop working after ${step.title} (${broken.message}): drop it or rewrite it so it does not use what that step removes or renames, then re-run.`,
        );
      }
    }
    return { brokenBefore, problems };
  } finally {
    db.close();
  }
}

/**
 * Whether each query read a whole table BEFORE the migration: the schema is rebuilt in scratch,
 * the undo of the applied phases runs there, and the queries are explained. Verify uses it to
 * tell a scan the migration caused from one the database always had.
 */
export function scansBeforeMigration(
  snapshot: Snapshot,
  undo: { sql: string; args?: unknown }[],
  queries: { name: string; sql: string; args: unknown[] }[],
): Map<string, boolean> {
  const db: Scratch = new Database(':memory:');
  const out = new Map<string, boolean>();
  try {
    buildSchema(db, snapshot);
    if (runStatements(db, undo)) return out;
    for (const q of queries) {
      try {
        const rows = db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.args) as { detail: string }[];
        out.set(
          q.name,
          rows.some((r) => /^SCAN (?!CONSTANT ROW)/.test(String(r.detail).trim())),
        );
      } catch {
        // the query does not compile there: no verdict
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** Tables, then indexes, views and triggers, as their DDL says; a virtual table whose module is unknown gets a plain stand-in. */
function buildSchema(db: Scratch, snapshot: Snapshot): void {
  const tables = snapshot.tables.filter((t) => t.kind === 'plain' || t.kind === 'virtual' || t.kind === 'bookkeeping');
  for (const table of tables) {
    if (!tryExec(db, table.sql)) tryExec(db, standIn(table));
  }
  for (const index of snapshot.indexes) tryExec(db, index.sql);
  for (const view of snapshot.views) tryExec(db, view.sql);
  for (const trigger of snapshot.triggers) tryExec(db, trigger.sql);
}

function standIn(table: TableInfo): string {
  return `CREATE TABLE ${quoteIdent(table.name)} (${table.columns.map(quoteIdent).join(', ') || 'x'})`;
}

function tryExec(db: Scratch, sql: string | null): boolean {
  if (!sql) return false;
  try {
    db.exec(sql);
    return true;
  } catch {
    return false;
  }
}

function runStatements(db: Scratch, statements: RehearsalStep['statements']): { sql: string; message: string } | null {
  for (const statement of statements) {
    try {
      if (Array.isArray(statement.args) && statement.args.length > 0) db.prepare(statement.sql).run(...statement.args);
      else db.exec(statement.sql);
    } catch (error) {
      return { sql: statement.sql, message: (error as Error).message };
    }
  }
  return null;
}

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** Every view read and every trigger fired by a prepared statement; what fails to compile. */
function compileAll(db: Scratch): BrokenObject[] {
  const rows = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY rowid").all() as SchemaRow[];
  const broken: BrokenObject[] = [];
  for (const view of rows.filter((r) => r.type === 'view')) {
    const error = prepareError(db, `SELECT * FROM ${quoteIdent(view.name)}`);
    if (error) broken.push({ object: `view ${view.name}`, message: error });
  }
  for (const trigger of rows.filter((r) => r.type === 'trigger')) {
    const error = firingError(db, trigger);
    if (error) broken.push({ object: `trigger ${trigger.name}`, message: error });
  }
  return broken;
}

/**
 * Compiles one trigger: the statements that could fire it (INSERT, UPDATE of every column,
 * DELETE) are prepared with only this trigger on its table, and again with none; an error that
 * only appears with the trigger is the trigger's. No parsing of its text (a name or a comment
 * could say "update" on an INSERT trigger), and the schema changes are always rolled back.
 */
function firingError(db: Scratch, trigger: SchemaRow): string | null {
  const on = quoteIdent(trigger.tbl_name);
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(trigger.tbl_name) as { name: string }[]).map((c) => quoteIdent(c.name));
  const statements = [
    `INSERT INTO ${on} DEFAULT VALUES`,
    `UPDATE ${on} SET ${columns.map((c) => `${c} = ${c}`).join(', ') || 'rowid = rowid'}`,
    `DELETE FROM ${on}`,
  ];
  const all = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?").all(trigger.tbl_name) as { name: string }[];
  const prepareWithout = (keep: string | null) => {
    db.exec('SAVEPOINT compile_one');
    try {
      for (const other of all) if (other.name !== keep) db.exec(`DROP TRIGGER ${quoteIdent(other.name)}`);
      return statements.map((sql) => prepareError(db, sql));
    } finally {
      db.exec('ROLLBACK TO compile_one');
      db.exec('RELEASE compile_one');
    }
  };
  const baseline = prepareWithout(null);
  const withTrigger = prepareWithout(trigger.name);
  return withTrigger.find((error, i) => error !== null && error !== baseline[i]) ?? null;
}

function prepareError(db: Scratch, sql: string): string | null {
  try {
    db.prepare(sql);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The fix for the failures a rehearsal meets most: objects that were broken before the phase. */
function hintFor(message: string, brokenBefore: BrokenObject[]): string {
  const named = /error in (trigger|view) (\S+?):/.exec(message);
  const culprit = named ? brokenBefore.find((b) => b.object === `${named[1]} ${named[2]}`) : undefined;
  const missingFts = /no such table: (?:main\.)?(\w+_fts)\b/.exec(message)?.[1];
  if (missingFts) {
    return ` ${missingFts} is missing but triggers that write to it remain, and SQLite re-reads every trigger when a column is renamed. Fix: recreate ${missingFts} from its content table (schema-wizard apply --repair-fts), or drop those triggers.`;
  }
  if (culprit) return ` ${culprit.object} is broken by then (${culprit.message}). Fix: drop it or rewrite it, then re-run.`;
  return ' Fix the object named in the message, then re-run.';
}
