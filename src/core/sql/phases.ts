/**
 * The guide's two phases, as data. The planner compares a snapshot with these targets; nothing
 * here touches a database.
 */
import { splitStatements } from './statement-reader.js';
import { V1_SCHEMA_SQL } from './v1-schema.js';
import type { ColumnRename, PhaseId } from '../model/index.js';
export type { ColumnRename, PhaseId } from '../model/index.js';

export const PHASE_IDS: readonly PhaseId[] = ['phase1', 'phase2'];

export interface IndexTarget {
  name: string;
  table: string;
  /** Exactly the DDL the guide lists. */
  sql: string;
  /** Key columns, for comparing with an index that already has this name. */
  key: string[];
  /** The index this one replaces (same meaning on a renamed column): it keeps its UNIQUE and collation. */
  replaces?: string;
}

export interface IndexDrop {
  name: string;
  /**
   * The index that still serves this one's queries afterwards (guide: "covered by"). The drop
   * happens only if an index of that shape exists once the phase is done: Phase 1 creates it
   * (as COVERING_INDEXES defines it) where the database lacks it.
   */
  coveredBy?: string;
}

/**
 * The covering indexes as the optimized application defines them (mcp-memory-ts 0e1aa9d): what
 * Phase 1 creates when a database lacks the index a drop relies on.
 */
export const COVERING_INDEXES: Record<string, IndexTarget> = {
  idx_entities_user_type: {
    name: 'idx_entities_user_type',
    table: 'entities',
    sql: 'CREATE INDEX idx_entities_user_type ON entities(user_id, entity_type)',
    key: ['user_id', 'entity_type'],
  },
  idx_memories_user_type: {
    name: 'idx_memories_user_type',
    table: 'memories',
    sql: 'CREATE INDEX idx_memories_user_type ON memories(user_id, memory_type)',
    key: ['user_id', 'memory_type'],
  },
  idx_usage_user_date: {
    name: 'idx_usage_user_date',
    table: 'api_usage_tracking',
    sql: 'CREATE INDEX idx_usage_user_date ON api_usage_tracking(user_id, date)',
    key: ['user_id', 'date'],
  },
};

export interface PhaseDefinition {
  id: PhaseId;
  title: string;
  risk: 'low' | 'medium';
  description: string;
  /** Tables dropped; their rows are archived first so rollback can bring every one back. */
  dropTables: string[];
  dropIndexes: IndexDrop[];
  renameColumns: ColumnRename[];
  createIndexes: IndexTarget[];
}

export const PHASE_1: PhaseDefinition = {
  id: 'phase1',
  title: 'Phase 1',
  risk: 'low',
  description: 'Remove the unused learned_patterns table and redundant indexes; add three composite indexes.',
  dropTables: ['learned_patterns'],
  dropIndexes: [
    { name: 'idx_patterns_user_id' },
    { name: 'idx_patterns_type' },
    { name: 'idx_entities_user_id', coveredBy: 'idx_entities_user_type' },
    { name: 'idx_entities_type', coveredBy: 'idx_entities_user_type' },
    { name: 'idx_entities_name' },
    { name: 'idx_entities_importance' },
    { name: 'idx_memories_user_id', coveredBy: 'idx_memories_user_type' },
    { name: 'idx_memories_type', coveredBy: 'idx_memories_user_type' },
    { name: 'idx_memories_archived', coveredBy: 'idx_memories_user_archived' },
    { name: 'idx_interactions_user_id', coveredBy: 'idx_interactions_user_date' },
    { name: 'idx_interactions_created', coveredBy: 'idx_interactions_user_date' },
    { name: 'idx_usage_date', coveredBy: 'idx_usage_user_date' },
    { name: 'idx_usage_provider_date', coveredBy: 'idx_usage_user_provider_date' },
  ],
  renameColumns: [],
  createIndexes: [
    {
      name: 'idx_memories_user_archived',
      table: 'memories',
      sql: 'CREATE INDEX idx_memories_user_archived ON memories(user_id, is_archived)',
      key: ['user_id', 'is_archived'],
    },
    {
      name: 'idx_interactions_user_date',
      table: 'interactions',
      sql: 'CREATE INDEX idx_interactions_user_date ON interactions(user_id, DATE(created_at))',
      key: ['user_id', 'date(created_at)'],
    },
    {
      name: 'idx_usage_user_provider_date',
      table: 'api_usage_tracking',
      sql: 'CREATE INDEX idx_usage_user_provider_date ON api_usage_tracking(user_id, api_provider, date)',
      key: ['user_id', 'api_provider', 'date'],
    },
  ],
};

export const PHASE_2: PhaseDefinition = {
  id: 'phase2',
  title: 'Phase 2',
  risk: 'medium',
  description: 'Rename users.api_key to api_key_hash (values untouched) and rebuild its index.',
  dropTables: [],
  dropIndexes: [{ name: 'idx_users_api_key', coveredBy: 'idx_users_api_key_hash' }],
  renameColumns: [{ table: 'users', from: 'api_key', to: 'api_key_hash' }],
  createIndexes: [
    {
      name: 'idx_users_api_key_hash',
      table: 'users',
      sql: 'CREATE INDEX idx_users_api_key_hash ON users(api_key_hash)',
      key: ['api_key_hash'],
      replaces: 'idx_users_api_key',
    },
  ],
};

export const PHASES: Record<PhaseId, PhaseDefinition> = { phase1: PHASE_1, phase2: PHASE_2 };

/**
 * Accepts what people type: 1, 2, all, phase1, "Phase 1", phase-2, p2.
 * Returns the phases in the order they apply.
 */
export function parsePhase(value: string | undefined): PhaseId[] | null {
  if (value === undefined) return [...PHASE_IDS];
  const v = value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
  if (v === 'all' || v === '') return [...PHASE_IDS];
  const m = /^(?:phase|p)?([12])$/.exec(v);
  if (!m) return null;
  return [m[1] === '1' ? 'phase1' : 'phase2'];
}

export function phaseTitle(id: PhaseId): string {
  return PHASES[id].title;
}

/**
 * The v1 reference schema's objects (../shared/reference/v1-schema.sql), used only to describe
 * drift: what a database has that v1 did not, and what v1 had that it lacks.
 */
export const V1_OBJECTS = {
  tables: ['users', 'entities', 'memories', 'interactions', 'learned_patterns', 'schema_version', 'api_usage_tracking', 'memories_fts', 'entities_fts'],
  indexes: [
    'idx_users_email',
    'idx_users_api_key',
    'idx_entities_user_id',
    'idx_entities_type',
    'idx_entities_name',
    'idx_entities_importance',
    'idx_entities_user_type',
    'idx_entities_active',
    'idx_memories_user_id',
    'idx_memories_type',
    'idx_memories_importance',
    'idx_memories_archived',
    'idx_memories_created',
    'idx_memories_user_type',
    'idx_memories_user_importance',
    'idx_memories_uuid',
    'idx_interactions_user_id',
    'idx_interactions_created',
    'idx_patterns_user_id',
    'idx_patterns_type',
    'idx_usage_user_date',
    'idx_usage_provider_date',
    'idx_usage_date',
  ],
  triggers: ['memories_fts_insert', 'memories_fts_delete', 'memories_fts_update', 'entities_fts_insert', 'entities_fts_delete', 'entities_fts_update'],
  ftsTables: ['memories_fts', 'entities_fts'],
} as const;

/** v1's DDL of each of its indexes, by name: what "the same index" means when a database is compared with v1. */
export const V1_INDEX_SQL: Record<string, string> = Object.fromEntries(
  splitStatements(V1_SCHEMA_SQL)
    .map((sql) => [/^\s*create\s+(?:unique\s+)?index\s+(\w+)/i.exec(sql)?.[1], sql] as const)
    .filter((pair): pair is readonly [string, string] => pair[0] !== undefined),
);

/** v1's DDL of its FTS5 tables, by name: what --repair-fts recreates. */
export const V1_FTS_SQL: Record<string, string> = Object.fromEntries(
  splitStatements(V1_SCHEMA_SQL)
    .map((sql) => [/^\s*create\s+virtual\s+table\s+(\w+)/i.exec(sql)?.[1], sql] as const)
    .filter((pair): pair is readonly [string, string] => pair[0] !== undefined),
);
