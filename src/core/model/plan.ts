/**
 * What a plan is, as data: each phase's statements, what they drop, create and rename, the
 * archive of learned_patterns, the decision a phase waits for, and the drift found. The
 * planner (engine/planner.ts) builds it; events, the report and both front ends read it.
 */
import type { PhaseId } from './phase-id.js';

export interface ColumnRename {
  table: string;
  from: string;
  to: string;
}

export interface CascadeCounts {
  column: string;
  parent: string;
  parentColumn: string;
  /** [key, rows] per parent key (keys as read: strings or integers), and the rows with a NULL key. */
  counts: [string | number, number][];
  nullRows: number;
}

/** What users' key column holds that is not a SHA-256 hex digest, by kind (values never leave the database). */
export interface PlaintextKeys {
  column: string;
  /** Users whose key is set but is not a SHA-256 hex digest: none of them can authenticate after the rename. */
  count: number;
  /** Non-empty TEXT without NUL bytes: these can be hashed exactly. */
  hashable: number;
  /** Empty strings: hashing would turn them into a valid credential, so they are never hashed. */
  empty: number;
  /** BLOB values: not a key the application could have been given as text. */
  blob: number;
  /** TEXT with a NUL byte: the driver would cut it at the NUL, so its hash would be wrong. */
  nul: number;
  /** INTEGER or REAL values. */
  other: number;
  /** 64 hex digits with upper-case letters: a digest the application (lower-case hex) does not match; hashing it again would be wrong. */
  upperHex: number;
}

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
  /**
   * 'rename': the table itself was renamed (rowids are its own). Absent in journals of earlier
   * versions: a CREATE TABLE AS copy whose rowids sit in ARCHIVE_ROWID.
   */
  method?: 'rename';
  /** Archived rows per parent key at Phase 1 (cascade-evidence.ts): what lets rollback accept rows lost to ON DELETE CASCADE. */
  cascade?: CascadeCounts | null;
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
