/**
 * Property: from ANY drift state (a random subset of the phases' changes already made, random
 * extra tables, indexes, views and triggers, missing covering indexes, a UNIQUE twin of
 * idx_users_api_key, plaintext/empty/NULL/BLOB keys, invalid UTF-8, learned_patterns recreated
 * after Phase 1), plan + apply converges to the target with every row intact and the extras
 * untouched, and rollback returns to that starting schema and data. Drift that no phase may
 * survive (a foreign key to learned_patterns in any spelling, with any ON DELETE action; a
 * partial index under a target name; INDEXED BY a dropped index) is refused with the file
 * byte for byte as it was. Many seeds per run; a failure names its seed (SW_PROPERTY_SEED=N).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyOrThrow, rollbackOrThrow } from './support/runs.js';
import { prng } from '../src/core/demo/demo.js';
import { PHASE_1, PHASE_2 } from '../src/core/sql/phases.js';
import { phaseProgress } from '../src/core/engine/drift.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { byteContentsOf, migratedDataOf, schemaOf, sqlOn, tempDir, v1Database, withSession } from './support/fixtures.js';

const SEEDS = process.env.SW_PROPERTY_SEED
  ? [Number(process.env.SW_PROPERTY_SEED)]
  : Array.from({ length: Number(process.env.SW_PROPERTY_SEEDS ?? 40) }, (_, i) => i + 1);
let template = '';

beforeAll(async () => {
  template = await v1Database({ users: 5, memories: 40 });
});

interface Drift {
  sql: string[];
  extras: string[];
  /** Set when the plan must refuse: what the refusal names. */
  refusal: RegExp | null;
  /** After Phase 1, the application recreates learned_patterns (empty, same DDL) before the rollback. */
  recreate: boolean;
}

const FK_SPELLINGS = [
  "REFERENCES 'learned_patterns'",
  'REFERENCES"learned_patterns"',
  'REFERENCES/**/learned_patterns',
  'REFERENCES [LEARNED_PATTERNS]',
  'REFERENCES learned_patterns',
];
const FK_ACTIONS = ['CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION'];

/** SQL that puts a fresh v1 copy into a random drift state, and the names of the extras it made. */
function driftFor(seed: number): Drift {
  const rand = prng(seed);
  const chance = (p: number) => rand() < p;
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
  const sql: string[] = [];
  const extras: string[] = [];
  let refusal: RegExp | null = null;
  const learnedGone = chance(0.25);
  if (learnedGone) sql.push('DROP TABLE learned_patterns');
  const recreate = !learnedGone && chance(0.25);
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
  // Covering indexes the application's older schema lacks: the phase creates them.
  for (const coverer of ['idx_entities_user_type', 'idx_memories_user_type']) if (chance(0.25)) sql.push(`DROP INDEX IF EXISTS ${coverer}`);
  // A UNIQUE idx_users_api_key (while the column still has its old name): replaced by a UNIQUE index.
  if (chance(0.2) && !sql.some((s) => /RENAME COLUMN api_key/.test(s)))
    sql.push('DROP INDEX idx_users_api_key', 'CREATE UNIQUE INDEX idx_users_api_key ON users(api_key)');
  // Keys that are not SHA-256 hex digests (applied with --keep-plaintext-keys: the data stays as it is).
  const key = sql.some((s) => /RENAME COLUMN api_key/.test(s)) ? 'api_key_hash' : 'api_key';
  if (chance(0.3))
    sql.push(
      `UPDATE users SET ${key} = 'plain-key' WHERE rowid = 1`,
      `UPDATE users SET ${key} = '' WHERE rowid = 2`,
      `UPDATE users SET ${key} = x'0102' WHERE rowid = 3`,
      `UPDATE users SET ${key} = NULL WHERE rowid = 4`,
    );
  // TEXT the driver cannot decode.
  if (chance(0.3)) sql.push("UPDATE memories SET content = CAST(x'41ff8042' AS TEXT) WHERE rowid = 2");
  // Drift no phase may survive.
  if (!learnedGone && chance(0.12)) {
    const action = pick(FK_ACTIONS);
    sql.push(
      `CREATE TABLE pattern_refs_${seed} (id INTEGER PRIMARY KEY, pattern_id INTEGER ${pick(FK_SPELLINGS)}(id) ON DELETE ${action})`,
      `INSERT INTO pattern_refs_${seed} (pattern_id) SELECT id FROM learned_patterns LIMIT 3`,
    );
    refusal = new RegExp(`pattern_refs_${seed}\\(pattern_id\\) has a foreign key to learned_patterns \\(ON DELETE ${action}\\)`, 'i');
  } else if (chance(0.08) && !sql.includes(PHASE_1.createIndexes[0].sql)) {
    sql.push(`${PHASE_1.createIndexes[0].sql} WHERE is_archived = 0`);
    refusal = /already exists with a different definition/;
  } else if (chance(0.08) && !sql.includes('DROP INDEX idx_memories_type')) {
    sql.push(`CREATE VIEW typed_${seed} AS SELECT id FROM memories INDEXED BY idx_memories_type WHERE memory_type = 'semantic'`);
    refusal = new RegExp(`view typed_${seed} would stop working`);
  }
  return { sql, extras, refusal, recreate };
}

/** Every row, TEXT as hex (invalid UTF-8 compares byte for byte), that a migration must keep. */
const keptDataOf = (file: string) => migratedDataOf(file, byteContentsOf);

describe('random drift states', () => {
  it(`converge or refuse untouched, keep every row and every extra, and roll back exactly (${SEEDS.length} seeds)`, { timeout: 300_000 }, async () => {
    let refused = 0;
    for (const seed of SEEDS) {
      const file = path.join(tempDir('sw-prop-'), 'memory.db');
      fs.copyFileSync(template, file);
      const { sql, extras, refusal, recreate } = driftFor(seed);
      await sqlOn(file, sql);
      const schemaBefore = await schemaOf(file);
      const rowsBefore = await byteContentsOf(file);
      const dataBefore = await keptDataOf(file);
      const where = `seed ${seed} (SW_PROPERTY_SEED=${seed}); drift: ${sql.join('; ')}`;
      try {
        const apply = () => withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null, keys: 'keep' }));
        if (refusal) {
          const bytes = fs.readFileSync(file);
          await expect(apply(), where).rejects.toThrow(refusal);
          expect(fs.readFileSync(file).equals(bytes), `${where}: the file changed`).toBe(true);
          refused++;
          continue;
        }
        await apply();
        await withSession(file, async (s) => {
          const snap = await takeSnapshot(s.db);
          expect(phaseProgress(snap, PHASE_1), where).toEqual({ done: 17, total: 17 });
          expect(phaseProgress(snap, PHASE_2), where).toEqual({ done: 3, total: 3 });
        });
        expect(await keptDataOf(file), where).toEqual(dataBefore);
        const schemaAfter = await schemaOf(file);
        for (const extra of extras) expect(schemaAfter[extra], `${where}: ${extra}`).toBe(schemaBefore[extra]);
        if (recreate) await sqlOn(file, [String(schemaBefore.learned_patterns)]);
        await withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
        expect(await schemaOf(file), where).toEqual(schemaBefore);
        expect(await byteContentsOf(file), where).toEqual(rowsBefore);
      } catch (error) {
        throw new Error(`property failed for ${where}\n${(error as Error).message}`);
      }
    }
    // The seeds draw both outcomes: a run that never refused would not test the refusals.
    if (SEEDS.length >= 20) expect(refused).toBeGreaterThan(0);
  });
});
