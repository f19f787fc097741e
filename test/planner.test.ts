/**
 * The planner and the rollback plan as the pure functions they are: snapshot in, plan out, in
 * milliseconds, no database. The snapshots are recorded from real databases
 * (test/golden/snapshots; `SW_UPDATE_GOLDEN=1 npx vitest run test/planner.test.ts` records
 * them again from freshly built ones).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../src/core/model/snapshot.js';
import type { JournalEntry } from '../src/core/engine/journal.js';
import { planMigration } from '../src/core/engine/planner.js';
import { planRollback } from '../src/core/engine/rollback-plan.js';

const DIR = path.join(import.meta.dirname, 'golden', 'snapshots');
const load = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as T;
const OPTIONS = { runId: 'r20260101T000000Z0000' };

if (process.env.SW_UPDATE_GOLDEN) {
  it('records the snapshots', { timeout: 60_000 }, async () => {
    const { v1Database, withSession } = await import('./support/fixtures.js');
    const { takeSnapshot } = await import('../src/core/db/snapshot.js');
    const { readJournal } = await import('../src/core/engine/journal.js');
    const { applyOrThrow } = await import('./support/runs.js');
    const save = (name: string, value: unknown) =>
      fs.writeFileSync(path.join(DIR, `${name}.json`), `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 1)}\n`);
    const plain = await v1Database();
    await withSession(plain, async (s) => save('v1', await takeSnapshot(s.db)));
    await withSession(plain, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
    await withSession(plain, async (s) => {
      const snap = await takeSnapshot(s.db);
      save('after-phase1', snap);
      save('after-phase1-journal', await readJournal(s.db, snap));
    });
    const keys = await v1Database({ plaintextKeys: 3 });
    await withSession(keys, async (s) => save('v1-plaintext-keys', await takeSnapshot(s.db)));
  });
}

describe('planMigration (pure)', () => {
  let v1: Snapshot;
  beforeAll(() => {
    v1 = load<Snapshot>('v1');
  });

  it('plans the guide on the v1 schema: Phase 1 drops, archives by rename and creates; Phase 2 renames the key column', () => {
    const started = performance.now();
    const plan = planMigration(v1, ['phase1', 'phase2'], OPTIONS);
    const ms = performance.now() - started;
    const [p1, p2] = plan.phases;
    expect(p1.status).toBe('pending');
    expect(p1.statements.filter((s) => s.kind === 'drop-index')).toHaveLength(13);
    expect(p1.statements.filter((s) => s.kind === 'create-index').map((s) => s.object)).toEqual([
      'idx_memories_user_archived',
      'idx_interactions_user_date',
      'idx_usage_user_provider_date',
    ]);
    // Locally (the snapshot allows it) the rename is wrapped in legacy_alter_table ON/OFF.
    expect(p1.statements.filter((s) => s.kind === 'archive-rows').map((s) => s.sql)).toEqual([
      'PRAGMA legacy_alter_table = ON',
      `ALTER TABLE learned_patterns RENAME TO _schema_wizard_archive_${OPTIONS.runId}_learned_patterns`,
      'PRAGMA legacy_alter_table = OFF',
    ]);
    expect(p1.archive).toMatchObject({ table: 'learned_patterns', method: 'rename' });
    expect(p2.statements.map((s) => s.kind)).toEqual(['drop-index', 'rename-column', 'create-index']);
    expect(p2.renamed).toEqual([{ table: 'users', from: 'api_key', to: 'api_key_hash' }]);
    expect(plan.drift).toEqual([]);
    // Pure and quick: no database, no I/O (a scratch in-memory engine rehearses the DDL).
    expect(ms).toBeLessThan(2_000);
  });

  it('is pure: the snapshot is not changed, and the same input gives the same plan', () => {
    const before = structuredClone(v1);
    const a = planMigration(v1, ['phase1', 'phase2'], OPTIONS);
    const b = planMigration(v1, ['phase1', 'phase2'], OPTIONS);
    expect(v1).toEqual(before);
    expect(a).toEqual(b);
  });

  it('plans only what is left: after Phase 1, Phase 1 is applied and Phase 2 still pending', () => {
    const plan = planMigration(load<Snapshot>('after-phase1'), ['phase1', 'phase2'], OPTIONS);
    expect(plan.phases[0].status).toBe('applied');
    expect(plan.phases[0].statements).toEqual([]);
    expect(plan.phases[1].status).toBe('pending');
  });

  it('plaintext keys make Phase 2 wait for a decision; hash plans the hashing, keep says who is locked out', () => {
    const snap = load<Snapshot>('v1-plaintext-keys');
    const waiting = planMigration(snap, ['phase2'], OPTIONS).phases[0];
    expect(waiting.status).toBe('blocked');
    expect(waiting.decision?.keys.count).toBe(3);
    const hashed = planMigration(snap, ['phase2'], { ...OPTIONS, keys: 'hash' }).phases[0];
    expect(hashed.decision).toBeNull();
    expect(hashed.statements.some((s) => s.kind === 'hash-keys')).toBe(true);
    expect(hashed.keyHashing?.hashable).toBe(3);
    const kept = planMigration(snap, ['phase2'], { ...OPTIONS, keys: 'keep' }).phases[0];
    expect(kept.statements.some((s) => s.kind === 'hash-keys')).toBe(false);
    expect(kept.warnings.join(' ')).toContain('3 users hold a plaintext API key');
  });

  it('an extra index the guide does not know is drift, and is left alone', () => {
    const snap = structuredClone(v1);
    snap.indexes.push({
      ...snap.indexes.find((i) => i.name === 'idx_memories_user_id')!,
      name: 'idx_ops_custom',
      sql: 'CREATE INDEX idx_ops_custom ON memories(user_id, content)',
      columns: ['user_id', 'content'],
    });
    const plan = planMigration(snap, ['phase1'], OPTIONS);
    expect(plan.drift.map((d) => `${d.kind} ${d.object}`)).toContain('extra-index idx_ops_custom');
    expect(plan.phases[0].statements.some((s) => s.object === 'idx_ops_custom')).toBe(false);
  });
});

describe('planRollback (pure)', () => {
  it('undoes Phase 1 from its journal entry: created indexes dropped, learned_patterns rebuilt from its recorded DDL with every row, the archive dropped, the dropped indexes recreated', () => {
    const snap = load<Snapshot>('after-phase1');
    const journal = load<JournalEntry[]>('after-phase1-journal');
    const plan = planRollback(snap, 'phase1', journal);
    const sql = plan.statements.map((s) => s.sql);
    expect(plan.conflicts).toEqual([]);
    expect(plan.dropped).toEqual(['idx_memories_user_archived', 'idx_interactions_user_date', 'idx_usage_user_provider_date']);
    const at = (re: RegExp) => sql.findIndex((s) => re.test(s));
    const rebuilt = at(/^CREATE TABLE learned_patterns \(/);
    const copied = at(/^INSERT INTO "learned_patterns" \(rowid, "id"/);
    const archiveDropped = at(/^DROP TABLE _schema_wizard_archive_\w+_learned_patterns$/);
    expect(rebuilt).toBeGreaterThan(at(/^DROP INDEX idx_usage_user_provider_date$/));
    expect(copied).toBeGreaterThan(rebuilt);
    expect(archiveDropped).toBeGreaterThan(copied);
    // The 13 indexes Phase 1 dropped come back, the two on learned_patterns after the table.
    expect(sql.filter((s) => /^CREATE INDEX/.test(s))).toHaveLength(13);
    expect(at(/^CREATE INDEX idx_patterns_user_id ON learned_patterns/)).toBeGreaterThan(rebuilt);
    // AUTOINCREMENT's counter comes back too.
    expect(sql).toContain('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
  });
});
