/**
 * The guide's 17 checks, made to agree with what the migration really does (the guide's own
 * list expected indexes it never created and FTS objects production did not have). Pure:
 * snapshot and journal in, checks out. A check of a phase not applied yet is `pending`.
 */
import { activeApplies, type JournalEntry, phaseProgress } from '../engine/index.js';
import { indexShape, normalizeSql, type PhaseDefinition, type PhaseId, PHASES, V1_OBJECTS } from '../sql/index.js';
import type { Check, CheckPhase, CheckStatus, Snapshot } from '../model/index.js';
import { findIndex, findTable, namedIndexes } from '../db/index.js';

export type PhaseState = 'applied' | 'partial' | 'pending';

export function phaseState(snapshot: Snapshot, journal: JournalEntry[], def: PhaseDefinition): PhaseState {
  const { done, total } = phaseProgress(snapshot, def);
  if (activeApplies(journal, def.id).length > 0 || done === total) return 'applied';
  return done === 0 ? 'pending' : 'partial';
}

interface Condition {
  ok: boolean;
  detail: string;
}

function absent(snapshot: Snapshot, names: string[]): Condition {
  const present = names.filter((n) => findIndex(snapshot, n));
  return present.length === 0 ? { ok: true, detail: `${names.join(', ')} gone` } : { ok: false, detail: `still present: ${present.join(', ')}` };
}

function indexAsListed(snapshot: Snapshot, phase: PhaseId, name: string): Condition {
  const target = PHASES[phase].createIndexes.find((c) => c.name === name)!;
  const index = findIndex(snapshot, name);
  if (!index) return { ok: false, detail: `${name} is missing` };
  if (index.sql && normalizeSql(index.sql) === normalizeSql(target.sql)) return { ok: true, detail: `${index.sql}` };
  // A replacement that kept the replaced index's meaning (UNIQUE, a collation) is the listed index too.
  const shape = index.sql ? indexShape(index.sql) : null;
  const wanted = indexShape(target.sql)!;
  const bare = (terms: string[]) => terms.map((t) => t.replace(/\s+collate\s+\S+/, '').replace(/\s+desc$/, ''));
  if (target.replaces && shape && shape.where === null && shape.table === wanted.table && bare(shape.terms).join(',') === bare(wanted.terms).join(',')) {
    return { ok: true, detail: `${index.sql} (keeps the meaning of the ${target.replaces} it replaced)` };
  }
  return { ok: false, detail: `${name} differs: ${index.sql}` };
}

/** The 17 checks; `states` decides pass/fail versus pending. */
export function schemaChecks(snapshot: Snapshot, journal: JournalEntry[]): Check[] {
  const states = { phase1: phaseState(snapshot, journal, PHASES.phase1), phase2: phaseState(snapshot, journal, PHASES.phase2) };
  const checks: Check[] = [];
  const add = (name: string, phase: CheckPhase, c: Condition, onFalse?: CheckStatus) => {
    const applied = phase === 'phase1' || phase === 'phase2' ? states[phase] === 'applied' : true;
    const status: CheckStatus = c.ok ? 'pass' : applied ? (onFalse ?? 'fail') : 'pending';
    checks.push({ name, phase, status, detail: !c.ok && !applied ? `${PHASES[phase as PhaseId].title} not applied yet (${c.detail})` : c.detail });
  };

  // Phase 1
  add(
    'learned_patterns table removed',
    'phase1',
    findTable(snapshot, 'learned_patterns') ? { ok: false, detail: 'learned_patterns still exists' } : { ok: true, detail: 'learned_patterns gone' },
  );
  add('learned_patterns indexes removed', 'phase1', absent(snapshot, ['idx_patterns_user_id', 'idx_patterns_type']));
  add(
    'redundant entities indexes removed',
    'phase1',
    absent(snapshot, ['idx_entities_user_id', 'idx_entities_type', 'idx_entities_name', 'idx_entities_importance']),
  );
  add('redundant memories indexes removed', 'phase1', absent(snapshot, ['idx_memories_user_id', 'idx_memories_type', 'idx_memories_archived']));
  add('redundant interactions indexes removed', 'phase1', absent(snapshot, ['idx_interactions_user_id', 'idx_interactions_created']));
  add('redundant api_usage_tracking indexes removed', 'phase1', absent(snapshot, ['idx_usage_date', 'idx_usage_provider_date']));
  add('idx_memories_user_archived present', 'phase1', indexAsListed(snapshot, 'phase1', 'idx_memories_user_archived'));
  add('idx_interactions_user_date present', 'phase1', indexAsListed(snapshot, 'phase1', 'idx_interactions_user_date'));
  add('idx_usage_user_provider_date present', 'phase1', indexAsListed(snapshot, 'phase1', 'idx_usage_user_provider_date'));

  // Phase 2
  const userColumns = findTable(snapshot, 'users')?.columns ?? [];
  add(
    'users.api_key_hash column present',
    'phase2',
    userColumns.includes('api_key_hash') ? { ok: true, detail: 'users.api_key_hash exists' } : { ok: false, detail: 'users.api_key_hash is missing' },
  );
  add(
    'users.api_key column renamed away',
    'phase2',
    userColumns.includes('api_key') ? { ok: false, detail: 'users.api_key still exists' } : { ok: true, detail: 'users.api_key gone' },
  );
  add('idx_users_api_key_hash present', 'phase2', indexAsListed(snapshot, 'phase2', 'idx_users_api_key_hash'));
  add('idx_users_api_key removed', 'phase2', absent(snapshot, ['idx_users_api_key']));

  // The database as a whole
  const core = ['users', 'memories', 'entities', 'interactions', 'api_usage_tracking', 'schema_version'];
  const missingCore = core.filter((t) => !findTable(snapshot, t));
  add(
    'core tables present',
    'schema',
    missingCore.length === 0 ? { ok: true, detail: core.join(', ') } : { ok: false, detail: `missing: ${missingCore.join(', ')}` },
  );
  checks.push(ftsCheck(snapshot));
  checks.push(indexCountCheck(snapshot, states));
  return checks;
}

/** memories_fts and its triggers are required; entities_fts absent is an environment difference (warn). */
function ftsCheck(snapshot: Snapshot): Check {
  const missing = (fts: string) => {
    const triggers = V1_OBJECTS.triggers.filter((t) => t.startsWith(fts));
    return [...(findTable(snapshot, fts) ? [] : [fts]), ...triggers.filter((t) => !snapshot.triggers.some((x) => x.name === t))];
  };
  const memories = missing('memories_fts');
  const entities = missing('entities_fts');
  const name = 'FTS tables and triggers present';
  if (memories.length > 0) return { name, phase: 'schema', status: 'fail', detail: `missing: ${[...memories, ...entities].join(', ')}` };
  if (entities.length > 0) {
    return {
      name,
      phase: 'schema',
      status: 'warn',
      detail: `memories_fts and its 3 triggers present; ${entities.join(', ')} absent (an environment difference: some production copies never had entities_fts; the migration does not touch it)`,
    };
  }
  return { name, phase: 'schema', status: 'pass', detail: 'memories_fts, entities_fts and their 6 triggers present' };
}

/** The guide says 23 -> 11 in one place and 23 -> 13 in another; its own list adds up to 13. */
function indexCountCheck(snapshot: Snapshot, states: Record<PhaseId, PhaseState>): Check {
  const expected = new Set<string>([
    ...V1_OBJECTS.indexes.filter((i) => !PHASES.phase1.dropIndexes.some((d) => d.name === i) && !PHASES.phase2.dropIndexes.some((d) => d.name === i)),
    ...PHASES.phase1.createIndexes.map((c) => c.name),
    ...PHASES.phase2.createIndexes.map((c) => c.name),
  ]);
  const named = namedIndexes(snapshot).filter((i) => !i.name.startsWith('sqlite_'));
  const reference = named.filter((i) => expected.has(i.name));
  const extra = named.filter((i) => !expected.has(i.name));
  const missing = [...expected].filter((n) => !named.some((i) => i.name === n));
  const name = 'index count';
  if (states.phase1 !== 'applied' || states.phase2 !== 'applied') {
    return { name, phase: 'schema', status: 'pending', detail: `${named.length} named indexes now; 13 expected once both phases are applied` };
  }
  if (missing.length > 0) {
    const v1HadThem = missing.filter((m) => (V1_OBJECTS.indexes as readonly string[]).includes(m));
    return {
      name,
      phase: 'schema',
      status: v1HadThem.length === missing.length ? 'warn' : 'fail',
      detail: `${reference.length} of the 13 target indexes present; missing ${missing.join(', ')}${v1HadThem.length === missing.length ? ' (absent before the migration too; the migration does not create them)' : ''}`,
    };
  }
  if (extra.length > 0) {
    return {
      name,
      phase: 'schema',
      status: 'warn',
      detail: `the 13 target indexes are present, plus ${extra.length} others left untouched (${extra
        .slice(0, 6)
        .map((i) => i.name)
        .join(', ')}${extra.length > 6 ? ', ...' : ''})`,
    };
  }
  return { name, phase: 'schema', status: 'pass', detail: '13 named indexes, exactly the target set (the guide\'s "11" is a miscount)' };
}
