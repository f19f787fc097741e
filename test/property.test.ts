/**
 * Property: from ANY drift state (a random subset of the phases' changes already made, random
 * extra tables, indexes, views and triggers), plan + apply converges to the target with every
 * row intact and the extras untouched, and rollback returns to that starting schema and data.
 * Many seeds per run; a failure names its seed (SW_PROPERTY_SEED=N reruns just that one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../src/core/apply.js';
import { prng } from '../src/core/demo.js';
import { PHASE_1, PHASE_2 } from '../src/core/phases.js';
import { progressOf } from '../src/core/planner.js';
import { runRollback } from '../src/core/rollback.js';
import { takeSnapshot } from '../src/core/snapshot.js';
import { migratedDataOf, contentsOf, schemaOf, sqlOn, tempDir, v1Database, withSession } from './support/fixtures.js';

const SEEDS = process.env.SW_PROPERTY_SEED ? [Number(process.env.SW_PROPERTY_SEED)] : Array.from({ length: Number(process.env.SW_PROPERTY_SEEDS ?? 40) }, (_, i) => i + 1);
let template = '';

beforeAll(async () => {
  template = await v1Database({ users: 5, memories: 40 });
});

/** SQL that puts a fresh v1 copy into a random drift state, and the names of the extras it made. */
function driftFor(seed: number): { sql: string[]; extras: string[] } {
  const rand = prng(seed);
  const chance = (p: number) => rand() < p;
  const sql: string[] = [];
  const extras: string[] = [];
  const learnedGone = chance(0.25);
  if (learnedGone) sql.push('DROP TABLE learned_patterns');
  for (const drop of PHASE_1.dropIndexes) {
    if (drop.name.startsWith('idx_patterns_')) continue;
    if (chance(0.35)) sql.push(`DROP INDEX ${drop.name}`);
  }
  for (const create of PHASE_1.createIndexes) if (chance(0.35)) sql.push(create.sql);
  if (chance(0.35)) {
    if (chance(0.5)) sql.push('DROP INDEX idx_users_api_key');
    sql.push('ALTER TABLE users RENAME COLUMN api_key TO api_key_hash');
    if (chance(0.4)) sql.push(PHASE_2.createIndexes[0].sql);
  }
  if (chance(0.5)) {
    sql.push(`CREATE TABLE extra_notes_${seed} (id INTEGER PRIMARY KEY, body TEXT)`, `INSERT INTO extra_notes_${seed} (body) VALUES ('keep me'), ('and me')`);
    extras.push(`extra_notes_${seed}`);
  }
  if (chance(0.5)) {
    sql.push(`CREATE INDEX extra_idx_${seed} ON memories(title, importance)`);
    extras.push(`extra_idx_${seed}`);
  }
  if (chance(0.4)) {
    sql.push(`CREATE VIEW extra_view_${seed} AS SELECT id, title FROM memories WHERE importance > 2`);
    extras.push(`extra_view_${seed}`);
  }
  if (chance(0.3)) {
    sql.push(`CREATE TRIGGER extra_trigger_${seed} AFTER UPDATE ON interactions BEGIN SELECT 1; END`);
    extras.push(`extra_trigger_${seed}`);
  }
  return { sql, extras };
}


describe('random drift states', () => {
  it(`converge, keep every row and every extra, and roll back exactly (${SEEDS.length} seeds)`, { timeout: 300_000 }, async () => {
    for (const seed of SEEDS) {
      const file = path.join(tempDir('sw-prop-'), 'memory.db');
      fs.copyFileSync(template, file);
      const { sql, extras } = driftFor(seed);
      await sqlOn(file, sql);
      const schemaBefore = await schemaOf(file);
      const rowsBefore = await contentsOf(file);
      const dataBefore = await migratedDataOf(file);
      const where = `seed ${seed} (SW_PROPERTY_SEED=${seed}); drift: ${sql.join('; ')}`;
      try {
        await withSession(file, (s) => runApply(s, { phases: ['phase1', 'phase2'], backup: null }));
        await withSession(file, async (s) => {
          const snap = await takeSnapshot(s.db);
          expect(progressOf(snap, PHASE_1), where).toEqual({ done: 17, total: 17 });
          expect(progressOf(snap, PHASE_2), where).toEqual({ done: 3, total: 3 });
        });
        expect(await migratedDataOf(file), where).toEqual(dataBefore);
        const schemaAfter = await schemaOf(file);
        for (const extra of extras) expect(schemaAfter[extra], `${where}: ${extra}`).toBe(schemaBefore[extra]);
        await withSession(file, (s) => runRollback(s, { phases: ['phase1', 'phase2'], backup: null }));
        expect(await schemaOf(file), where).toEqual(schemaBefore);
        expect(await contentsOf(file), where).toEqual(rowsBefore);
      } catch (error) {
        throw new Error(`property failed for ${where}\n${(error as Error).message}`);
      }
    }
  });
});
