/**
 * What the report records about a run besides its plan: the lock's holder, the smoke tests, the
 * stats, the kind of target. Types only; the stages that produce them re-export them.
 */
import type { OperatorInfo } from './operator.js';

export type TargetKind = 'file' | 'remote';

export interface LockOwner extends OperatorInfo {
  runId: string;
  command: string;
  acquiredAt: string;
  expiresAt: string;
}

export interface SmokeTest {
  name: string;
  /** pre-existing: fails the same way on the database as it was before the migration (not caused by it; does not fail the run). */
  status: 'pass' | 'fail' | 'pre-existing';
  ms: number;
  detail: string;
}

export interface IndexStat {
  name: string;
  table: string;
  columns: (string | null)[];
  /** Bytes from the dbstat virtual table; null where dbstat is not compiled in or allowed. */
  bytes: number | null;
}

export interface Stats {
  counts: {
    tables: number;
    plainTables: number;
    virtualTables: number;
    indexes: number;
    triggers: number;
    views: number;
    ftsShadowTables: number;
    internalTables: number;
  };
  tables: string[];
  ftsShadowTables: string[];
  internalTables: string[];
  indexes: IndexStat[];
  triggers: string[];
  views: string[];
  rows: Record<string, number>;
  totalRows: number;
  /** bytes = page_count x page_size; freeBytes = freelist pages the file keeps until VACUUM. */
  size: { pageSize: number; pageCount: number; bytes: number; freeBytes: number };
  /** Whether per-index sizes could be measured. */
  dbstat: boolean;
}
