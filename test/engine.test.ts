import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOrThrow, rollbackOrThrow } from './support/runs.js';
import { runApply } from '../src/core/engine/apply.js';
import { runRollback } from '../src/core/engine/rollback.js';
import { backupProvider } from '../src/core/backup/take.js';
import { tempDir } from './support/fixtures.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { guideTables, namedIndexes } from '../src/core/db/schema-lookups.js';
import { planMigration } from '../src/core/engine/planner.js';
import { contentsOf, schemaOf, v1Database, withSession as withSessionOn, rowsOf, type TestSession } from './support/fixtures.js';
import { TARGETS } from './support/targets.js';

const FINAL_INDEXES = [
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
  'idx_users_api_key_hash',
  'idx_users_email',
];

describe.each(TARGETS)('engine on a v1 database (%s)', (kind) => {
  const withSession = <T>(file: string, fn: (s: TestSession) => Promise<T>) => withSessionOn(file, fn, kind);

  it('counts v1 the guide way: 9 tables, 23 indexes', async () => {
    const file = await v1Database();
    await withSession(file, async (s) => {
      expect(s.db.target.kind).toBe(kind === 'file' ? 'file' : 'remote');
      const snap = await takeSnapshot(s.db);
      expect(
        guideTables(snap)
          .map((t) => t.name)
          .sort(),
      ).toHaveLength(9);
      expect(namedIndexes(snap)).toHaveLength(23);
      const plan = planMigration(snap, ['phase1', 'phase2'], { runId: 'x' });
      expect(plan.phases[0].statements).toHaveLength(kind === 'file' ? 19 : 17); // locally the rename is wrapped in legacy_alter_table ON/OFF
      expect(plan.phases[1].statements).toHaveLength(3);
    });
  });

  it('applies both phases, then rolls everything back to the v1 schema text and rows', async () => {
    const file = await v1Database();
    const schemaBefore = await schemaOf(file);
    const rowsBefore = await contentsOf(file);
    await withSession(file, async (s) => {
      const result = await applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null });
      expect(result.phases.map((p) => p.statements)).toEqual([kind === 'file' ? 20 : 18, 4]); // the plan, then the row guard
      const snap = await takeSnapshot(s.db);
      expect(guideTables(snap)).toHaveLength(8);
      expect(
        namedIndexes(snap)
          .map((i) => i.name)
          .sort(),
      ).toEqual(FINAL_INDEXES);
    });
    const users = await rowsOf(file, 'SELECT api_key_hash FROM users ORDER BY rowid');
    expect(users.map((u) => u.api_key_hash)).toEqual(rowsBefore.users.map((u) => (u as { api_key: unknown }).api_key));
    await withSession(file, async (s) => {
      const again = await applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null });
      expect(again.phases.every((p) => p.status === 'not-executed' && /already applied/.test(p.detail))).toBe(true);
    });
    await withSession(file, async (s) => {
      const rb = await rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null });
      expect(rb.phases.map((p) => p.status)).toEqual(['success', 'success']);
    });
    expect(await schemaOf(file)).toEqual(schemaBefore);
    expect(await contentsOf(file)).toEqual(rowsBefore);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('returns a stopped run as a value: what committed, the error, and the phases it never reached', async () => {
    const file = await v1Database();
    const dir = tempDir('sw-result-');
    await withSession(file, async (s) => {
      // Ctrl+C as Phase 1 commits: the run stops before Phase 2 instead of throwing past Phase 1.
      const controller = new AbortController();
      const emit = s.emit;
      const stopped = await runApply(
        {
          ...s,
          signal: controller.signal,
          emit: (event) => {
            emit(event);
            if (event.type === 'phase-finished' && event.phase === 'phase1') controller.abort();
          },
        },
        { phases: ['phase1', 'phase2'], backup: backupProvider({ dir, toolVersion: 'test' }) },
      );
      expect((stopped.error as Error).message).toMatch(/^Interrupted/);
      expect(stopped.phases.map((p) => [p.phase, p.status])).toEqual([
        ['phase1', 'success'],
        ['phase2', 'not-executed'],
      ]);
      expect(stopped.phases[1].detail).toMatch(/not reached/);
      expect(stopped.backup?.path.startsWith(dir)).toBe(true);
      expect(fs.existsSync(stopped.backup!.path)).toBe(true);
      // A refusal before any write is a value too: no phase ran, nothing was backed up.
      const refused = await runRollback({ ...s, signal: AbortSignal.abort() }, { phases: ['phase1'], backup: null });
      expect((refused.error as Error).message).toMatch(/^Interrupted/);
      expect(refused.phases.map((p) => [p.phase, p.status])).toEqual([['phase1', 'not-executed']]);
      expect(refused.backup).toBeNull();
    });
    expect((await schemaOf(file)).idx_memories_user_type).toBeDefined();
  });
});
