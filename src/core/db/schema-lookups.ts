/**
 * Questions asked of a snapshot, matched the way SQLite matches names: which table, index or
 * column this is, what the guide counts, what is ours, which keys point where. Pure readers
 * over the Snapshot values takeSnapshot builds, shared by the planner, the proofs and verify.
 */
import { ExitCode, type ForeignKey, type IndexInfo, type SchemaObject, type Snapshot, type TableInfo, UserError } from '../model/index.js';

export const BOOKKEEPING_PREFIX = '_schema_wizard_';
/** The tables that make a database an MCP Memory database. */
export const MCP_MEMORY_CORE_TABLES = ['users', 'memories', 'entities'] as const;

export function isBookkeeping(name: string): boolean {
  return name.startsWith(BOOKKEEPING_PREFIX);
}

/** Refuse anything that is not an MCP Memory database before a single byte is written. */
export function assertMcpMemory(snapshot: Snapshot, display: string): void {
  const plain = new Set(snapshot.tables.filter((t) => t.kind === 'plain').map((t) => t.name));
  const missing = MCP_MEMORY_CORE_TABLES.filter((t) => !plain.has(t));
  if (missing.length > 0) {
    throw new UserError(`${display} is not an MCP Memory database (no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}); nothing was changed.`, {
      hint: 'Point --db at the MCP Memory database (it has users, memories and entities tables).',
      exitCode: ExitCode.usage,
    });
  }
}

export interface ForeignKeyGroup {
  table: string;
  id: number;
  parent: string;
  columns: string[];
}

/** Multi-column foreign keys arrive as one row per column pair: one group per key. */
export function groupForeignKeys(keys: ForeignKey[]): ForeignKeyGroup[] {
  const groups = new Map<string, ForeignKeyGroup>();
  for (const k of keys) {
    const id = `${k.table}#${k.id}`;
    const group = groups.get(id) ?? { table: k.table, id: k.id, parent: k.parent, columns: [] };
    group.columns.push(k.from);
    groups.set(id, group);
  }
  return [...groups.values()];
}

/** Whether rows are addressed by rowid (false for WITHOUT ROWID tables). */
export function hasRowid(table: TableInfo): boolean {
  return !/without\s+rowid/i.test(table.sql ?? '');
}

/** SQLite compares identifiers case-insensitively for ASCII letters (and only for those). */
export function sameName(a: string, b: string): boolean {
  return a === b || asciiLower(a) === asciiLower(b);
}

function asciiLower(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function findTable(snapshot: Snapshot, name: string): TableInfo | undefined {
  return snapshot.tables.find((t) => sameName(t.name, name));
}

export function findIndex(snapshot: Snapshot, name: string): IndexInfo | undefined {
  return snapshot.indexes.find((i) => sameName(i.name, name));
}

/** The column's name as the table spells it, matched the way SQLite matches it. */
export function findColumn(table: TableInfo, name: string): string | undefined {
  return table.columns.find((c) => sameName(c, name));
}

export function hasColumn(table: TableInfo | undefined, name: string): boolean {
  return table !== undefined && findColumn(table, name) !== undefined;
}

/** The archive's column holding each row's rowid. */
export const ARCHIVE_ROWID = '_schema_wizard_rowid';

/** rowid, _rowid_ or oid: whichever a column of the table does not shadow (SQLite's own rule). */
export function freeRowidAlias(table: TableInfo): string | null {
  return ['rowid', '_rowid_', 'oid'].find((alias) => !hasColumn(table, alias)) ?? null;
}

/** Foreign keys of other tables that point at `table`. */
export function referencesTo(snapshot: Snapshot, table: string): ForeignKeyGroup[] {
  return groupForeignKeys(snapshot.foreignKeys).filter((g) => sameName(g.parent, table) && !sameName(g.table, table));
}

/** The guide counts plain + virtual tables (9 on v1); FTS shadow and internal tables apart. */
export function guideTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter((t) => t.kind === 'plain' || t.kind === 'virtual');
}

/** Named indexes (created by CREATE INDEX) outside our bookkeeping tables: 23 on v1. */
export function namedIndexes(snapshot: Snapshot): IndexInfo[] {
  return snapshot.indexes.filter((i) => i.sql !== null && !isBookkeeping(i.table));
}

export function userTriggers(snapshot: Snapshot): SchemaObject[] {
  return snapshot.triggers.filter((t) => !isBookkeeping(t.table));
}

/** Row counts of plain tables (the data the migration promises to keep). */
export function rowCounts(snapshot: Snapshot): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of snapshot.tables) if (t.kind === 'plain' && t.rows !== null) counts[t.name] = t.rows;
  return counts;
}
