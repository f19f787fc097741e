/**
 * What a snapshot of the database holds: its tables, indexes, triggers, views, foreign keys,
 * row counts and page counts, as plain values. A leaf: db/snapshot.ts fills it in, and every
 * stage (planner, proofs, verify, the report) reads it.
 */
import type { PlaintextKeys } from './plan.js';

export type TableKind = 'plain' | 'virtual' | 'shadow' | 'internal' | 'bookkeeping';

export interface TableInfo {
  name: string;
  kind: TableKind;
  sql: string | null;
  columns: string[];
  /** Rows in plain, internal and bookkeeping tables; null for virtual and shadow tables. */
  rows: number | null;
}

export interface IndexInfo {
  name: string;
  table: string;
  /** Verbatim DDL; null for automatic indexes (UNIQUE / PRIMARY KEY constraints). */
  sql: string | null;
  /** Key columns; null where the key is an expression such as DATE(created_at). */
  columns: (string | null)[];
  unique: boolean;
  /** A partial index (CREATE INDEX ... WHERE): it serves only the rows its condition keeps. */
  partial: boolean;
}

/** One foreign key column pair, as SQLite itself reads the DDL (pragma_foreign_key_list). */
export interface ForeignKey {
  /** The table holding the reference. */
  table: string;
  /** Foreign key id within the child table (multi-column keys share it). */
  id: number;
  parent: string;
  from: string;
  to: string | null;
  onDelete: string;
}

export interface SchemaObject {
  name: string;
  table: string;
  sql: string | null;
}

export interface Snapshot {
  tables: TableInfo[];
  indexes: IndexInfo[];
  triggers: SchemaObject[];
  views: SchemaObject[];
  /** sqlite_sequence, when the database has AUTOINCREMENT tables. */
  sequences: Record<string, number>;
  /** users rows whose key column holds something other than 64 hex characters (a SHA-256). */
  plaintextKeys: PlaintextKeys | null;
  foreignKeys: ForeignKey[];
  /** Per foreign key (`child#id`), child rows whose reference is set: what a DROP of the parent would act on. */
  referencingRows: Record<string, number>;
  pageSize: number;
  pageCount: number;
  /** Pages on the freelist: space dropped objects left behind that the file keeps until VACUUM. */
  freePages: number;
  /**
   * Whether writes may set `PRAGMA legacy_alter_table=ON`: the local engine allows it, a Turso
   * server refuses it. Absent (hand-built snapshots): no.
   */
  allowsLegacyAlter?: boolean;
}
