/** Real production copies drifted from v1: every case must converge with every row intact. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOrThrow, rollbackOrThrow } from './support/runs.js';
import { openDb } from '../src/core/db/db.js';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { planMigration } from '../src/core/engine/planner.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { namedIndexes } from '../src/core/db/schema-lookups.js';
import { countStatements } from '../src/core/sql/statement-reader.js';
import { resolveTarget } from '../src/core/db/target.js';
import { migratedDataOf, contentsOf, rowsOf, schemaOf, sqlOn, v1Database, withSession as withSessionOn, type TestSession } from './support/fixtures.js';
import { TARGETS, type TargetKind } from './support/targets.js';

const AFTER_PHASE_1 = [
  'idx_entities_active',
  'idx_entities_user_type',
  'idx_interactions_user_date',
  'idx_memories_created',
  'idx_memories_importance',
  'idx_memories_user_archived',
  'idx_memories_user_importance',
  'idx_memories_user_type',
  'idx_memories_uuid',
  'idx_usage_user_date',
  'idx_usage_user_provider_date',
  'idx_users_api_key',
  'idx_users_email',
];

describe.each(TARGETS)('on %s', (kind: TargetKind) => {
  const withSession = <T>(file: string, fn: (s: TestSession) => Promise<T>) => withSessionOn(file, fn, kind);

  async function applyAll(file: string) {
    return withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
  }

  async function finalState(file: string) {
    return withSession(file, async (s) => {
      const snap = await takeSnapshot(s.db);
      return { p1: phaseProgress(snap, PHASE_1), p2: phaseProgress(snap, PHASE_2), snap };
    });
  }

  describe('Phase 1 alone on v1', () => {
    it('gives the guide 8 tables and exactly the 13 listed indexes', async () => {
      const file = await v1Database();
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      const { snap } = await finalState(file);
      expect(
        namedIndexes(snap)
          .map((i) => i.name)
          .sort(),
      ).toEqual(AFTER_PHASE_1);
      expect(
        snap.tables
          .filter((t) => t.kind === 'plain' || t.kind === 'virtual')
          .map((t) => t.name)
          .sort(),
      ).toEqual(['api_usage_tracking', 'entities', 'entities_fts', 'interactions', 'memories', 'memories_fts', 'schema_version', 'users']);
    });

    it('executes exactly the planned statements, one statement per call', async () => {
      const file = await v1Database();
      await withSession(file, async (s) => {
        const plan = planMigration(await takeSnapshot(s.db), ['phase1'], { runId: s.runId });
        const before = s.db.sent.length;
        await applyOrThrow(s, { phases: ['phase1'], backup: null });
        const sent = s.db.sent.slice(before);
        const planned = plan.phases[0].statements.map((p) => p.sql);
        // Between the journal INSERT and the end of the phase, exactly the plan ran.
        const journalAt = sent.findIndex((sql) => sql.startsWith('INSERT INTO _schema_wizard_journal'));
        expect(sent.slice(journalAt + 1, journalAt + 1 + planned.length)).toEqual(planned);
        expect(sent.every((sql) => countStatements(sql) === 1)).toBe(true);
        // Locally, the counts the write repeats under its lock (journal, guard) are read just
        // before its BEGIN, into a cache that holds them; remotely the write is one request.
        const warm = sent.slice(journalAt - 5, journalAt);
        if (kind === 'file') {
          expect(warm.slice(0, 3)).toEqual(['PRAGMA busy_timeout = 0', 'PRAGMA cache_size', 'PRAGMA cache_size = -16384']);
          for (const table of ['users', 'memories', 'learned_patterns', 'api_usage_tracking']) expect(warm[3]).toContain(`count(*) FROM "${table}"`);
          expect(warm[4]).toMatch(/^PRAGMA busy_timeout = \d+$/);
        } else {
          expect(sent.some((sql) => sql.startsWith('PRAGMA cache_size'))).toBe(false);
        }
        // And every one of them took effect: all 17 changes of Phase 1 are true.
        expect(phaseProgress(await takeSnapshot(s.db), PHASE_1)).toEqual({ done: 17, total: 17 });
      });
    });

    it('refuses to send a multi-statement string at all', async () => {
      const file = await v1Database();
      const db = await openDb(resolveTarget({ db: file }));
      try {
        await expect(db.execute('CREATE TABLE a(x); CREATE TABLE b(x)')).rejects.toThrow(/refusing to send 2 statements/);
        expect(await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name IN ('a','b')")).toEqual([]);
      } finally {
        db.close();
      }
    });
  });

  describe('drift cases converge with every row intact', () => {
    const cases: Record<string, string[]> = {
      'column already renamed': ['DROP INDEX idx_users_api_key', 'ALTER TABLE users RENAME COLUMN api_key TO api_key_hash'],
      'column renamed by hand, old index still there': ['ALTER TABLE users RENAME COLUMN api_key TO api_key_hash'],
      'no entities_fts and no triggers for it': [
        'DROP TRIGGER entities_fts_insert',
        'DROP TRIGGER entities_fts_delete',
        'DROP TRIGGER entities_fts_update',
        'DROP TABLE entities_fts',
      ],
      'extra tables, indexes and views': [
        'CREATE TABLE app_settings (k TEXT PRIMARY KEY, v TEXT)',
        "INSERT INTO app_settings VALUES ('theme', 'dark')",
        'CREATE INDEX idx_custom_memories_title ON memories(title)',
        'CREATE VIEW active_memories AS SELECT id, title FROM memories WHERE is_archived = 0',
      ],
      'half-applied earlier run': [
        'DROP INDEX idx_entities_user_id',
        'DROP INDEX idx_memories_type',
        'DROP INDEX idx_usage_date',
        'CREATE INDEX idx_memories_user_archived ON memories(user_id, is_archived)',
      ],
      'learned_patterns already dropped': ['DROP TABLE learned_patterns'],
    };

    for (const [name, setup] of Object.entries(cases)) {
      it(name, async () => {
        const file = await v1Database();
        await sqlOn(file, setup);
        const data = await migratedDataOf(file);
        const schemaBefore = await schemaOf(file);
        const rowsBefore = await contentsOf(file);
        await applyAll(file);
        const { p1, p2, snap } = await finalState(file);
        expect(p1.done).toBe(p1.total);
        expect(p2.done).toBe(p2.total);
        expect(await migratedDataOf(file)).toEqual(data);
        // Extra objects are untouched.
        for (const [obj, sql] of Object.entries(schemaBefore)) {
          if (/^(app_settings|idx_custom|active_memories)/.test(obj)) expect((await schemaOf(file))[obj]).toBe(sql);
        }
        // A re-run is a no-op, and rollback returns to the drifted starting point, not to v1.
        const again = await applyAll(file);
        expect(again.phases.every((p) => p.status === 'not-executed' && /already applied/.test(p.detail))).toBe(true);
        await withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
        expect(await schemaOf(file)).toEqual(schemaBefore);
        expect(await contentsOf(file)).toEqual(rowsBefore);
        expect(snap.tables.some((t) => t.name.startsWith('_schema_wizard_archive_') && t.rows === null)).toBe(false);
      });
    }
  });

  describe('conflicts and dry runs', () => {
    it('refuses users holding both api_key and api_key_hash, leaving the file untouched', async () => {
      const file = await v1Database();
      await sqlOn(file, ['ALTER TABLE users ADD COLUMN api_key_hash TEXT']);
      const bytes = fs.readFileSync(file);
      await expect(applyAll(file)).rejects.toThrow(/both api_key and api_key_hash/);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });

    it('plan leaves the file byte-identical', async () => {
      const file = await v1Database();
      const bytes = fs.readFileSync(file);
      await withSession(file, async (s) => planMigration(await takeSnapshot(s.db), ['phase1', 'phase2'], { runId: s.runId }));
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });

    it('rolling back a phase that was never applied is a no-op that says so', async () => {
      const file = await v1Database();
      const bytes = fs.readFileSync(file);
      const result = await withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1'], backup: null }));
      expect(result.phases[0].status).toBe('not-executed');
      expect(result.phases[0].detail).toMatch(/never applied/);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });

    it('reports learned_patterns rows and where they are kept', async () => {
      const file = await v1Database({ learnedPatterns: 7 });
      const plan = await withSession(file, async (s) => planMigration(await takeSnapshot(s.db), ['phase1'], { runId: 'rX' }));
      expect(plan.phases[0].archive).toMatchObject({ table: 'learned_patterns', rows: 7, archiveTable: '_schema_wizard_archive_rX_learned_patterns' });
      expect(plan.phases[0].warnings.join()).toMatch(/7 rows/);
    });

    it('blocks dropping learned_patterns while a view depends on it', async () => {
      const file = await v1Database();
      await sqlOn(file, ['CREATE VIEW pattern_view AS SELECT * FROM learned_patterns']);
      const plan = await withSession(file, async (s) => planMigration(await takeSnapshot(s.db), ['phase1'], { runId: 'r' }));
      expect(plan.phases[0].status).toBe('blocked');
      expect(plan.phases[0].conflicts.join()).toMatch(/view pattern_view/);
    });
  });
});
