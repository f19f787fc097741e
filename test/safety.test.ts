/**
 * The databases people really have: the application's own older schema, foreign keys in any
 * spelling, same-named indexes that mean something else, objects that reference what a phase
 * removes, plaintext keys, tables recreated after Phase 1. No phase may cost a row, an index
 * the application needs, a constraint or a login; each refusal leaves the file untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOrThrow, rollbackOrThrow } from './support/runs.js';
import { openDb } from '../src/core/db/db.js';
import { planMigration } from '../src/core/engine/planner.js';
import { takeSnapshot } from '../src/core/db/snapshot.js';
import { resolveTarget } from '../src/core/db/target.js';
import { APP_QUERIES, explain } from '../src/core/verify/query-plans.js';
import { runCli } from './support/cli.js';
import { contentsOf, rowsOf, schemaOf, sqlOn, v1Database, withSession as withSessionOn, type TestSession } from './support/fixtures.js';
import { TARGETS, dbArgs, type TargetKind } from './support/targets.js';

/** What v1.1.2 of the application creates lacks these (a later migration of its own added them). */
const LATER_INDEXES = ['idx_entities_user_type', 'idx_memories_user_type', 'idx_memories_user_importance', 'idx_entities_active', 'idx_memories_uuid'];

async function appV112Database(): Promise<string> {
  const file = await v1Database();
  await sqlOn(
    file,
    LATER_INDEXES.map((i) => `DROP INDEX ${i}`),
  );
  return file;
}

/** Query name -> whether it reads a whole table, on the database as it is. */
async function scans(file: string): Promise<Record<string, boolean>> {
  const db = await openDb(resolveTarget({ db: file }));
  try {
    const snapshot = await takeSnapshot(db);
    const out: Record<string, boolean> = {};
    for (const q of APP_QUERIES) {
      const sql = q.sql(snapshot);
      if (sql) out[q.name] = (await explain(db, sql, q.args)).scan;
    }
    return out;
  } finally {
    db.close();
  }
}

describe.each(TARGETS)('on %s', (kind: TargetKind) => {
  const withSession = <T>(file: string, fn: (s: TestSession) => Promise<T>) => withSessionOn(file, fn, kind);
  const applyAll = (file: string, keys?: 'hash' | 'keep') => withSession(file, (s) => applyOrThrow(s, { phases: ['phase1', 'phase2'], backup: null, keys }));
  const rollbackAll = (file: string) => withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }));
  const planOf = (file: string) => withSession(file, async (s) => planMigration(await takeSnapshot(s.db), ['phase1', 'phase2'], { runId: 'rT' }));

  /** Runs `work`, expects it to refuse with `message`, and the file to be byte for byte as it was. */
  async function refusesUntouched(file: string, work: () => Promise<unknown>, message: RegExp) {
    const bytes = fs.readFileSync(file);
    await expect(work()).rejects.toThrow(message);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  }

  describe('covering indexes are a guarantee', () => {
    it("the application's v1.1.2 schema: Phase 1 creates the covering indexes it lacks, and no query of the application scans", async () => {
      const file = await appV112Database();
      const before = await scans(file);
      expect(Object.values(before).every((scan) => !scan)).toBe(true);
      const schemaBefore = await schemaOf(file);
      const rowsBefore = await contentsOf(file);
      const plan = await planOf(file);
      expect(plan.phases[0].created).toEqual(expect.arrayContaining(['idx_entities_user_type', 'idx_memories_user_type']));
      expect(plan.phases[0].notes.join('\n')).toMatch(/created idx_entities_user_type: it covers idx_entities_user_id, which this phase drops/);
      await applyAll(file);
      const after = await scans(file);
      for (const [query, scan] of Object.entries(after)) expect({ query, scan }).toEqual({ query, scan: before[query] });
      expect((await schemaOf(file)).idx_entities_user_type).toBe('CREATE INDEX idx_entities_user_type ON entities(user_id, entity_type)');
      // Rollback removes what the phase created and gives back exactly the v1.1.2 schema and rows.
      await rollbackAll(file);
      expect(await schemaOf(file)).toEqual(schemaBefore);
      expect(await contentsOf(file)).toEqual(rowsBefore);
    });

    for (const missing of ['idx_entities_user_type', 'idx_memories_user_type', 'idx_usage_user_date']) {
      it(`without ${missing}: it is created, and no query that used an index scans afterwards`, async () => {
        const file = await v1Database();
        await sqlOn(file, [`DROP INDEX ${missing}`]);
        const before = await scans(file);
        await applyAll(file);
        const after = await scans(file);
        for (const [query, scan] of Object.entries(after)) if (!before[query]) expect({ query, scan }).toEqual({ query, scan: false });
        expect(Object.keys(await schemaOf(file))).toContain(missing);
      });
    }

    it('a covering index of another name and the same key is enough: nothing extra is created', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP INDEX idx_entities_user_type', 'CREATE INDEX my_entities_by_user ON entities(user_id, entity_type, name)']);
      const plan = await planOf(file);
      expect(plan.phases[0].created).not.toContain('idx_entities_user_type');
      expect(plan.phases[0].status).toBe('pending');
    });

    it('a partial index does not count as covering', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP INDEX idx_entities_user_type', "CREATE INDEX my_partial ON entities(user_id, entity_type) WHERE entity_type = 'person'"]);
      expect((await planOf(file)).phases[0].created).toContain('idx_entities_user_type');
    });
  });

  describe('foreign keys are read from SQLite, never from text', () => {
    const spellings = ["REFERENCES 'learned_patterns'", 'REFERENCES"learned_patterns"', 'REFERENCES/**/learned_patterns', 'REFERENCES [Learned_Patterns]'];
    for (const action of ['CASCADE', 'SET NULL']) {
      for (const spelling of spellings) {
        it(`${spelling}(id) ON DELETE ${action}: refused, untouched, naming the table and the count`, async () => {
          const file = await v1Database({ learnedPatterns: 12 });
          await sqlOn(file, [
            `CREATE TABLE pattern_notes (id INTEGER PRIMARY KEY, pattern_id INTEGER ${spelling}(id) ON DELETE ${action}, note TEXT)`,
            "INSERT INTO pattern_notes (pattern_id, note) SELECT id, 'n' FROM learned_patterns",
          ]);
          await refusesUntouched(
            file,
            () => applyAll(file),
            new RegExp(`pattern_notes\\(pattern_id\\) has a foreign key to learned_patterns \\(ON DELETE ${action}\\) and 12 rows`),
          );
          expect((await rowsOf(file, 'SELECT count(*) AS n FROM pattern_notes WHERE pattern_id IS NOT NULL'))[0].n).toBe(12n);
        });
      }
    }

    it('a foreign key with no referencing rows is still refused: the key would point at a missing table', async () => {
      const file = await v1Database();
      await sqlOn(file, ['CREATE TABLE pattern_notes (id INTEGER PRIMARY KEY, pattern_id INTEGER REFERENCES learned_patterns(id))']);
      await refusesUntouched(
        file,
        () => applyAll(file),
        /and 0 rows of pattern_notes set it: dropping learned_patterns would leave that key pointing at a missing table/,
      );
      expect((await planOf(file)).drift.map((d) => d.kind)).toContain('foreign-key');
    });
  });

  describe('same name, different definition', () => {
    it('a UNIQUE idx_users_api_key is reported, replaced by a UNIQUE index, and rolled back exactly', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP INDEX idx_users_api_key', 'CREATE UNIQUE INDEX idx_users_api_key ON users(api_key)']);
      const schemaBefore = await schemaOf(file);
      const plan = await planOf(file);
      expect(plan.drift.find((d) => d.kind === 'definition-differs')?.object).toBe('idx_users_api_key');
      await applyAll(file);
      expect((await schemaOf(file)).idx_users_api_key_hash).toBe('CREATE UNIQUE INDEX idx_users_api_key_hash ON users(api_key_hash)');
      const [{ k }] = await rowsOf(file, 'SELECT api_key_hash AS k FROM users LIMIT 1');
      await expect(
        sqlOn(file, [`INSERT INTO users (id, email, api_key_hash, created_at, updated_at) VALUES ('dup', 'dup@x', '${k}', 'x', 'x')`]),
      ).rejects.toThrow(/UNIQUE/);
      await rollbackAll(file);
      expect(await schemaOf(file)).toEqual(schemaBefore);
    });

    it('a UNIQUE index the guide drops as redundant is refused: dropping it would remove a constraint', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP INDEX idx_entities_name', 'CREATE UNIQUE INDEX idx_entities_name ON entities(name, id)']);
      await refusesUntouched(file, () => applyAll(file), /idx_entities_name here is .*UNIQUE/);
    });

    it('names are compared the way SQLite compares them: Learned_Patterns is found, archived and restored', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await sqlOn(file, ['ALTER TABLE learned_patterns RENAME TO lp_tmp', 'ALTER TABLE lp_tmp RENAME TO Learned_Patterns']);
      const plan = await planOf(file);
      expect(plan.phases[0].archive).toMatchObject({ table: 'Learned_Patterns', rows: 12 });
      const rowsBefore = await contentsOf(file);
      await applyAll(file);
      expect(Object.keys(await schemaOf(file)).some((n) => n.toLowerCase() === 'learned_patterns')).toBe(false);
      await rollbackAll(file);
      expect(await contentsOf(file)).toEqual(rowsBefore);
    });
  });

  describe('nothing that references a removed object survives broken', () => {
    it('a trigger using INDEXED BY a dropped index blocks Phase 1, naming the trigger', async () => {
      const file = await v1Database();
      await sqlOn(file, [
        'CREATE TRIGGER memories_audit AFTER INSERT ON memories BEGIN SELECT count(*) FROM entities INDEXED BY idx_entities_user_id WHERE user_id = new.user_id; END',
      ]);
      await refusesUntouched(file, () => applyAll(file), /trigger memories_audit would stop working after Phase 1 \(no such index: idx_entities_user_id\)/);
    });

    it('a view using INDEXED BY idx_memories_type blocks Phase 1 in the dry run, before anything runs', async () => {
      const file = await v1Database();
      await sqlOn(file, ["CREATE VIEW semantic_memories AS SELECT id FROM memories INDEXED BY idx_memories_type WHERE memory_type = 'semantic'"]);
      const plan = await planOf(file);
      expect(plan.phases[0].status).toBe('blocked');
      expect(plan.phases[0].conflicts.join('\n')).toMatch(/view semantic_memories would stop working/);
      await refusesUntouched(file, () => applyAll(file), /semantic_memories/);
    });

    it('entities_fts missing with its triggers left: the dry run blocks Phase 2 with the reason and the fix', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP TABLE entities_fts']);
      const plan = await planOf(file);
      expect(plan.drift.filter((d) => d.kind === 'broken-object').map((d) => d.object)).toEqual(
        expect.arrayContaining(['trigger entities_fts_insert', 'trigger entities_fts_delete', 'trigger entities_fts_update']),
      );
      // Locally Phase 1's rename runs in legacy mode and does not re-check other triggers; a
      // server refuses that mode, so there Phase 1's rename is the first to meet the broken trigger.
      const [blocked, at] =
        kind === 'file'
          ? [1, 'Phase 2 would fail at "ALTER TABLE users RENAME COLUMN api_key TO api_key_hash"']
          : [0, 'Phase 1 would fail at "ALTER TABLE learned_patterns RENAME TO _schema_wizard_archive_'];
      expect(plan.phases[blocked].status).toBe('blocked');
      expect(plan.phases[blocked].conflicts.join('\n')).toContain(at);
      expect(plan.phases[blocked].conflicts.join('\n')).toMatch(/error in trigger entities_fts_\w+: no such table: main.entities_fts.*Fix: /);
      await refusesUntouched(file, () => applyAll(file), /entities_fts/);
    });
  });

  describe('rollback restores into what is there', () => {
    it('learned_patterns recreated empty by the application: the 12 archived rows go back, with their rowids', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      const ddl = String((await rowsOf(file, "SELECT sql FROM sqlite_schema WHERE name = 'learned_patterns'"))[0].sql);
      const rowsBefore = await contentsOf(file);
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      await sqlOn(file, [ddl]);
      const result = await withSession(file, async (s) => {
        const r = await rollbackOrThrow(s, { phases: ['phase1'], backup: null });
        return { r, events: s.events };
      });
      expect(result.r.phases[0].status).toBe('success');
      expect(JSON.stringify(result.events)).toMatch(/12 learned_patterns rows restored/);
      expect((await contentsOf(file)).learned_patterns).toEqual(rowsBefore.learned_patterns);
      expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '_schema_wizard_archive_%'"))[0].n).toBe(0n);
    });

    it('rows written since into the recreated table stay; the archived ones join them', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      const ddl = String((await rowsOf(file, "SELECT sql FROM sqlite_schema WHERE name = 'learned_patterns'"))[0].sql);
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      await sqlOn(file, [
        ddl,
        "INSERT INTO learned_patterns (id, user_id, pattern_type, pattern_data, created_at, updated_at) VALUES (500, 'user-0001', 't', 'd', 'x', 'x')",
      ]);
      await withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1'], backup: null }));
      expect((await rowsOf(file, 'SELECT count(*) AS n FROM learned_patterns'))[0].n).toBe(13n);
    });

    it('a recreated table with another definition is refused, untouched, with what to do', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      await sqlOn(file, ['CREATE TABLE learned_patterns (id INTEGER PRIMARY KEY, other TEXT)']);
      await refusesUntouched(file, () => rollbackAll(file), /table learned_patterns exists again with a different definition.*Move it aside/);
    });

    it('rows whose user was deleted since (foreign keys off in the application) are restored anyway, reported as orphans; Phase 2 and Phase 1 both undone', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await applyAll(file);
      const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
      const [{ user_id }] = await rowsOf(file, `SELECT user_id FROM "${String(name)}" WHERE user_id IS NOT NULL LIMIT 1`);
      await sqlOn(file, ['PRAGMA foreign_keys=OFF', `DELETE FROM users WHERE id = '${String(user_id)}'`]);
      const { r, events } = await withSession(file, async (s) => ({
        r: await rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }),
        events: s.events,
      }));
      expect(r.phases.map((p) => p.status)).toEqual(['success', 'success']);
      expect((await rowsOf(file, 'SELECT count(*) AS n FROM learned_patterns'))[0].n).toBe(12n);
      expect(JSON.stringify(events)).toMatch(/reference.? a parent row deleted since the migration/);
    });

    it('rows the application deleted by ON DELETE CASCADE since Phase 1 stay deleted: the renamed archive keeps the foreign key; rollback says how many', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await applyAll(file);
      const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
      const [{ user_id, n }] = await rowsOf(file, `SELECT user_id, count(*) AS n FROM "${String(name)}" WHERE user_id IS NOT NULL GROUP BY user_id LIMIT 1`);
      await sqlOn(file, ['PRAGMA foreign_keys=ON', `DELETE FROM users WHERE id = '${String(user_id)}'`]);
      const left = 12n - BigInt(n as bigint);
      expect((await rowsOf(file, `SELECT count(*) AS n FROM "${String(name)}"`))[0].n).toBe(left);
      const { r, events } = await withSession(file, async (s) => ({
        r: await rollbackOrThrow(s, { phases: ['phase1', 'phase2'], backup: null }),
        events: s.events,
      }));
      expect(r.phases.map((p) => p.status)).toEqual(['success', 'success']);
      expect((await rowsOf(file, 'SELECT count(*) AS n FROM learned_patterns'))[0].n).toBe(left);
      expect(JSON.stringify(events)).toMatch(new RegExp(`${n} of the 12 archived learned_patterns rows were deleted since Phase 1 by ON DELETE CASCADE`));
      expect(await rowsOf(file, 'PRAGMA foreign_key_check(learned_patterns)')).toEqual([]);
    });

    it('a Phase 1 applied by an earlier version (rows copied by CREATE TABLE AS, rowids in a column) still rolls back exactly', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      const before = await contentsOf(file);
      const schemaBefore = await schemaOf(file);
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
      // Rebuild the archive as the earlier versions left it, and their journal's archive record.
      await sqlOn(file, [
        `CREATE TABLE old_archive AS SELECT rowid AS _schema_wizard_rowid, * FROM "${String(name)}"`,
        `DROP TABLE "${String(name)}"`,
        `ALTER TABLE old_archive RENAME TO "${String(name)}"`,
        `UPDATE _schema_wizard_journal SET archive = json_remove(archive, '$.method')`,
      ]);
      await rollbackAll(file);
      expect(await contentsOf(file)).toEqual(before);
      expect(await schemaOf(file)).toEqual(schemaBefore);
    });

    it('archived rows deleted while their users still exist are refused untouched: a cascade needs its evidence', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await applyAll(file);
      const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
      await sqlOn(file, [`DELETE FROM "${String(name)}" WHERE rowid IN (SELECT rowid FROM "${String(name)}" LIMIT 7)`]);
      await refusesUntouched(file, () => rollbackAll(file), /holds 5 rows but learned_patterns had 12; restore from the backup instead/);
    });

    it('a learned_patterns without INTEGER PRIMARY KEY gets its own rowids back (10, 20, 30), not new ones', async () => {
      const file = await v1Database({ learnedPatterns: 0 });
      await sqlOn(file, [
        'DROP TABLE learned_patterns',
        'CREATE TABLE learned_patterns (user_id TEXT, pattern TEXT)',
        "INSERT INTO learned_patterns (rowid, user_id, pattern) VALUES (10, 'u', 'a'), (20, 'u', 'b'), (30, 'u', 'c')",
      ]);
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      await rollbackAll(file);
      expect((await rowsOf(file, 'SELECT rowid AS r, pattern FROM learned_patterns ORDER BY rowid')).map((r) => [r.r, r.pattern])).toEqual([
        [10n, 'a'],
        [20n, 'b'],
        [30n, 'c'],
      ]);
    });

    it('an archive whose row count changed otherwise (a row added to it) is refused untouched', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      await applyAll(file);
      const [{ name }] = await rowsOf(file, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_schema\\_wizard\\_archive\\_%' ESCAPE '\\'");
      await sqlOn(file, [`INSERT INTO "${String(name)}" (pattern_type, pattern_data, created_at, updated_at) VALUES ('x', 'y', 'now', 'now')`]);
      await refusesUntouched(file, () => rollbackAll(file), /holds 13 rows but learned_patterns had 12; restore from the backup instead/);
    });
  });

  describe('found by an adversarial tester', () => {
    it('an upper-case name does not hide a UNIQUE twin of an index the guide drops', async () => {
      const file = await v1Database();
      await sqlOn(file, ['DROP INDEX idx_entities_name', 'CREATE UNIQUE INDEX IDX_ENTITIES_NAME ON entities(name, user_id)']);
      await refusesUntouched(file, () => applyAll(file), /IDX_ENTITIES_NAME here is .*UNIQUE/);
    });

    it('a trigger whose name or comment says another event is still compiled for its own', async () => {
      const file = await v1Database();
      await sqlOn(file, [
        'CREATE TRIGGER "audit delete on entities" /* update on x */ AFTER INSERT ON entities BEGIN SELECT count(*) FROM entities INDEXED BY idx_entities_user_id WHERE user_id = new.user_id; END',
      ]);
      await refusesUntouched(
        file,
        () => withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null })),
        /trigger audit delete on entities would stop working after Phase 1/,
      );
    });

    it('a rollback whose restore fires a trigger that deletes rows elsewhere is refused by its guard, untouched', async () => {
      const file = await v1Database({ learnedPatterns: 12 });
      const ddl = String((await rowsOf(file, "SELECT sql FROM sqlite_schema WHERE name = 'learned_patterns'"))[0].sql);
      await withSession(file, (s) => applyOrThrow(s, { phases: ['phase1'], backup: null }));
      await sqlOn(file, [ddl, 'CREATE TRIGGER app_lp_ins AFTER INSERT ON learned_patterns BEGIN DELETE FROM memories WHERE id = new.id; END']);
      const memories = (await rowsOf(file, 'SELECT count(*) AS n FROM memories'))[0].n;
      await expect(withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1'], backup: null }))).rejects.toThrow(
        /refused before it could commit \(row counts changed/,
      );
      expect((await rowsOf(file, 'SELECT count(*) AS n FROM memories'))[0].n).toBe(memories);
      expect((await rowsOf(file, 'SELECT count(*) AS n FROM learned_patterns'))[0].n).toBe(0n);
    });

    it('rolling back Phase 1 alone refuses to restore a trigger that names users.api_key while Phase 2 stays applied', async () => {
      const file = await v1Database({ learnedPatterns: 3 });
      await sqlOn(file, [
        'CREATE TRIGGER lp_touch AFTER INSERT ON learned_patterns BEGIN UPDATE users SET updated_at = new.created_at WHERE id = new.user_id AND api_key IS NOT NULL; END',
      ]);
      await applyAll(file);
      await refusesUntouched(
        file,
        () => withSession(file, (s) => rollbackOrThrow(s, { phases: ['phase1'], backup: null })),
        /trigger lp_touch would stop working after rolling back Phase 1 \(no such column: api_key\)/,
      );
      // Both phases together roll back fine.
      await rollbackAll(file);
    });

    it("a covering index with another collation does not cover: the guide's one is created", async () => {
      const file = await v1Database();
      await sqlOn(file, [
        'DROP INDEX idx_entities_user_type',
        'DROP INDEX idx_entities_active',
        'CREATE INDEX cov ON entities(user_id COLLATE NOCASE, entity_type)',
      ]);
      expect((await planOf(file)).phases[0].created).toContain('idx_entities_user_type');
    });

    it('a UNIQUE or collated idx_users_api_key: Phase 2 keeps its meaning once, and verify passes', async () => {
      for (const ddl of ['CREATE UNIQUE INDEX idx_users_api_key ON users(api_key)', 'CREATE INDEX idx_users_api_key ON users(api_key COLLATE NOCASE)']) {
        const file = await v1Database();
        await sqlOn(file, ['DROP INDEX idx_users_api_key', ddl]);
        const plan = await planOf(file);
        expect(plan.phases[1].status, ddl).toBe('pending');
        expect(plan.phases[1].created, ddl).toEqual(['idx_users_api_key_hash']);
        const scannedBefore = (await scans(file))['user by API key hash'];
        await applyAll(file);
        const verify = await runCli(['verify', ...(await dbArgs(file, kind)), '--json']);
        const checks = verify.json().checks;
        expect(
          checks.filter((c: any) => c.status === 'fail'),
          ddl,
        ).toEqual([]);
        // A NOCASE index never served the exact lookup by key, before the migration as after it:
        // verify says so (warn), it does not blame the migration.
        expect(scannedBefore, ddl).toBe(/NOCASE/.test(ddl));
        const lookup = checks.find((c: any) => c.name === 'query plan: user by API key hash');
        if (scannedBefore) expect(lookup).toMatchObject({ status: 'warn', detail: expect.stringMatching(/as before the migration/) });
        else expect(lookup.status).toBe('pass');
      }
    });

    it('a name that is not valid UTF-8 is refused in a sentence, never a crash', async () => {
      const file = await v1Database();
      await sqlOn(file, ['CREATE TABLE placeholder_t (x)']);
      // Rename through the engine's own bytes: sqlite_schema holds "t\xff".
      const { default: Database } = await import('libsql');
      const raw = new Database(file);
      raw.exec(
        `PRAGMA writable_schema = ON; UPDATE sqlite_schema SET name = CAST(x'74ff' AS TEXT), tbl_name = CAST(x'74ff' AS TEXT), sql = 'CREATE TABLE "' || CAST(x'74ff' AS TEXT) || '" (x)' WHERE name = 'placeholder_t'; PRAGMA writable_schema = OFF;`,
      );
      raw.close();
      const bytes = fs.readFileSync(file);
      for (const command of ['plan', 'verify', 'stats']) {
        const run = await runCli([command, ...(await dbArgs(file, kind))]);
        expect({ command, code: run.code }).toEqual({ command, code: 2 });
        expect(run.stderr).toMatch(/not valid UTF-8/);
      }
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });

    it('users with a column named rowid: keys are hashed through _rowid_', async () => {
      const file = await v1Database({ users: 8, plaintextKeys: 3 });
      await sqlOn(file, ['ALTER TABLE users ADD COLUMN rowid TEXT']);
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--hash-plaintext-keys', '--json']);
      expect(run.code).toBe(0);
      expect((await rowsOf(file, "SELECT count(*) AS n FROM users WHERE api_key_hash LIKE 'mcp_plain%'"))[0].n).toBe(0n);
    });

    it('a plaintext key whose hash another user already holds is refused: never two users on one credential', async () => {
      const file = await v1Database({ users: 8, plaintextKeys: 0 });
      const { createHash } = await import('node:crypto');
      await sqlOn(file, [
        "UPDATE users SET api_key = 'dupkey' WHERE rowid = 1",
        `UPDATE users SET api_key = '${createHash('sha256').update('dupkey').digest('hex')}' WHERE rowid = 2`,
      ]);
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--hash-plaintext-keys']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/hashes to a value another user already holds/);
      expect((await rowsOf(file, "SELECT count(*) AS n FROM users WHERE api_key = 'dupkey'"))[0].n).toBe(1n);
    });

    it('upper-case hex digests count as keys the application cannot match, and are never hashed again', async () => {
      const file = await v1Database({ users: 8, plaintextKeys: 0 });
      await sqlOn(file, ['UPDATE users SET api_key = upper(api_key) WHERE rowid = 1']);
      const plan = await runCli(['plan', ...(await dbArgs(file, kind)), '--json']);
      expect(plan.json().plaintextKeys).toMatchObject({ count: 1, hashable: 0, upperHex: 1 });
      const before = (await rowsOf(file, 'SELECT api_key FROM users WHERE rowid = 1'))[0].api_key;
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--hash-plaintext-keys', '--json']);
      expect(run.code).toBe(0);
      expect((await rowsOf(file, 'SELECT api_key_hash FROM users WHERE rowid = 1'))[0].api_key_hash).toBe(before);
      expect(run.json().report.warnings.join()).toMatch(/upper-case hex/);
    });
  });

  describe('smoke separates what the migration caused from what was already so', () => {
    it("the application's own FTS delete trigger fails entity management before and after: reported as pre-existing, with the fix", async () => {
      const file = await v1Database();
      await sqlOn(file, [
        'DROP TRIGGER entities_fts_delete',
        'CREATE TRIGGER entities_fts_delete AFTER DELETE ON entities BEGIN DELETE FROM entities_fts WHERE rowid = old.id; END',
      ]);
      await applyAll(file);
      const bytes = fs.readFileSync(file);
      const smoke = await runCli(['smoke', ...(await dbArgs(file, kind)), '--json']);
      expect(smoke.code).toBe(0);
      const entity = smoke.json().tests.find((t: any) => t.name === 'entity management');
      expect(entity.status).toBe('pre-existing');
      expect(entity.detail).toMatch(/entities_fts still finds the deleted entity: it fails the same way on the database as it was before the migration.*Fix/);
      expect(smoke.json().tests.filter((t: any) => t.status === 'fail')).toEqual([]);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });
  });

  describe('plaintext API keys', () => {
    it('a headless apply refuses before any write (exit 2), with the count and both ways forward', async () => {
      const file = await v1Database({ users: 8, plaintextKeys: 5 });
      const bytes = fs.readFileSync(file);
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/5 users hold an API key in users.api_key that is not a SHA-256 hex digest/);
      expect(run.stderr).toMatch(/--hash-plaintext-keys/);
      expect(run.stderr).toMatch(/--keep-plaintext-keys/);
      // As JSON the refusal still says, phase by phase, that nothing ran.
      const json = (await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--json'])).json();
      expect(json).toMatchObject({ ok: false, exitCode: 2, backup: null, noBackup: true });
      expect(json.error.message).toMatch(/5 users hold an API key/);
      expect(json.phases.map((p: { phase: string; status: string }) => `${p.phase} ${p.status}`)).toEqual(['phase1 not-executed', 'phase2 not-executed']);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
      const wizard = await runCli(['--yes', ...(await dbArgs(file, kind)), '--no-backup', '--report-dir', fs.mkdtempSync(`${file}-r`)]);
      expect(wizard.code).toBe(2);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });

    it('--keep-plaintext-keys renames anyway and says who cannot authenticate', async () => {
      const file = await v1Database({ plaintextKeys: 2 });
      const keys = await rowsOf(file, 'SELECT api_key FROM users ORDER BY rowid');
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--keep-plaintext-keys', '--json']);
      expect(run.code).toBe(0);
      expect(await rowsOf(file, 'SELECT api_key_hash AS api_key FROM users ORDER BY rowid')).toEqual(keys);
      expect(run.json().report.plan.phases[1].warnings.join()).toMatch(/2 users hold a plaintext API key: after the rename those users cannot authenticate/);
    });

    it('--hash-plaintext-keys counts only what it changed; empty, NULL, BLOB and NUL keys are left and named', async () => {
      const file = await v1Database({ users: 8, plaintextKeys: 3 });
      await sqlOn(file, [
        "UPDATE users SET api_key = '' WHERE rowid = 4",
        'UPDATE users SET api_key = NULL WHERE rowid = 5',
        "INSERT INTO users (id, email, api_key, created_at, updated_at) VALUES ('b', 'b@x', x'00ff10', 'x', 'x')",
        "INSERT INTO users (id, email, api_key, created_at, updated_at) VALUES ('n', 'n@x', CAST(x'6b00796b' AS TEXT), 'x', 'x')",
        "INSERT INTO users (id, email, api_key, created_at, updated_at) VALUES ('u', 'u@x', CAST(x'41ff8042' AS TEXT), 'x', 'x')",
      ]);
      const run = await runCli(['apply', ...(await dbArgs(file, kind)), '--yes', '--no-backup', '--hash-plaintext-keys', '--json']);
      expect(run.code).toBe(0);
      const warnings = run.json().report.warnings.join('\n');
      expect(warnings).toMatch(/4 plaintext API keys were replaced/);
      expect(warnings).toMatch(/1 empty .*1 BLOB .*1 with a NUL byte/);
      const rows = await rowsOf(
        file,
        "SELECT id, typeof(api_key_hash) AS t, hex(api_key_hash) AS h FROM users WHERE id IN ('b', 'n', 'u') OR rowid IN (4, 5) ORDER BY id",
      );
      const byId = Object.fromEntries(rows.map((r) => [String(r.id), r]));
      expect(byId.b).toMatchObject({ t: 'blob', h: '00FF10' });
      expect(byId.n).toMatchObject({ t: 'text', h: '6B00796B' });
      // The invalid UTF-8 key is hashed over its bytes, exactly.
      const { createHash } = await import('node:crypto');
      expect(Buffer.from(String(byId.u.h), 'hex').toString()).toBe(createHash('sha256').update(Buffer.from('41ff8042', 'hex')).digest('hex'));
      const empty = rows.find((r) => r.t === 'text' && r.h === '');
      expect(empty).toBeDefined();
      expect(rows.find((r) => r.t === 'null')).toBeDefined();
      // The journal records how, not one statement per user.
      const [{ n }] = await rowsOf(file, "SELECT length(statements) AS n FROM _schema_wizard_journal WHERE phase = 'phase2'");
      expect(Number(n)).toBeLessThan(5_000); // a few statements whatever the number of users
      expect((await rowsOf(file, "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '_schema_wizard_keyhash_%'"))[0].n).toBe(0n);
    });
  });
});

describe('bytes the driver cannot decode', () => {
  it('invalid UTF-8 TEXT survives backup (db and sql), verify, apply, rollback and restore, byte for byte', async () => {
    const file = await v1Database({ learnedPatterns: 3 });
    const dir = path.dirname(file);
    await sqlOn(file, [
      "UPDATE memories SET content = CAST(x'41ff8042' AS TEXT) WHERE rowid = 1",
      "UPDATE learned_patterns SET pattern_data = CAST(x'c328e2' AS TEXT) WHERE rowid = 1",
    ]);
    const hexOf = async (f: string) => (await rowsOf(f, 'SELECT hex(content) AS h, typeof(content) AS t FROM memories WHERE rowid = 1'))[0];
    const before = await hexOf(file);
    expect(before).toEqual({ h: '41FF8042', t: 'text' });
    const steps: [string, string[], number][] = [
      ['backup db', ['backup', '--db', file, '--backup-dir', dir, '--json'], 0],
      ['backup sql', ['backup', '--db', file, '--backup-dir', dir, '--format', 'sql', '--json'], 0],
      ['apply', ['apply', '--db', file, '--yes', '--backup-dir', dir], 0],
      ['verify', ['verify', '--db', file], 0],
      ['rollback', ['rollback', '--db', file, '--yes', '--no-backup'], 0],
    ];
    const runs: Record<string, Awaited<ReturnType<typeof runCli>>> = {};
    for (const [name, args, code] of steps) {
      runs[name] = await runCli(args, { cwd: dir });
      expect({ name, code: runs[name].code, stderr: runs[name].code === code ? '' : runs[name].stderr }).toEqual({ name, code, stderr: '' });
    }
    expect(await hexOf(file)).toEqual(before);
    expect((await rowsOf(file, 'SELECT hex(pattern_data) AS h FROM learned_patterns WHERE rowid = 1'))[0].h).toBe('C328E2');
    // The sql backup restores the very bytes.
    const target = path.join(dir, 'restored.db');
    const restore = await runCli(['restore', '--from', runs['backup sql'].json().backup.path, '--db', target, '--yes'], { cwd: dir });
    expect(restore.code).toBe(0);
    expect(await hexOf(target)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe.each(TARGETS)('--repair-fts (%s)', (kind: TargetKind) => {
  it('recreates a missing entities_fts from entities, rebuilds it, lets Phase 2 run, and rollback puts the drift back exactly', async () => {
    const file = await v1Database();
    await sqlOn(file, ['DROP TABLE entities_fts']);
    const schemaBefore = await schemaOf(file);
    const rowsBefore = await contentsOf(file);
    const args = await dbArgs(file, kind);
    const refused = await runCli(['apply', ...args, '--yes', '--no-backup']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--repair-fts/);
    const run = await runCli(['apply', ...args, '--yes', '--no-backup', '--repair-fts', '--json']);
    expect(run.code).toBe(0);
    const [{ n }] = await rowsOf(
      file,
      "SELECT count(*) AS n FROM entities_fts WHERE entities_fts MATCH 'person OR project OR concept OR location OR organization'",
    );
    expect(Number(n)).toBeGreaterThan(0);
    expect((await runCli(['verify', ...args])).code).toBe(0);
    const rb = await runCli(['rollback', ...args, '--yes', '--no-backup']);
    expect(rb.code).toBe(0);
    expect(await schemaOf(file)).toEqual(schemaBefore);
    expect(await contentsOf(file)).toEqual(rowsBefore);
  });
});

describe('the file underneath', () => {
  it('--hash-plaintext-keys leaves no plaintext key in the file (freed pages are zeroed)', async () => {
    const file = await v1Database({ users: 8, plaintextKeys: 3 });
    const run = await runCli(['apply', '--db', file, '--yes', '--no-backup', '--hash-plaintext-keys']);
    expect(run.code).toBe(0);
    expect(fs.readFileSync(file).includes('mcp_plain_key_')).toBe(false);
  });

  it('a database deleted while a run has it open: a sentence, and no empty database created in its place', async () => {
    const file = await v1Database({ users: 10, memories: 4000, embeddingDims: 256 });
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./support/cli.js');
    const child = spawn(process.execPath, [BIN, 'apply', '--db', file, '--yes', '--backup-dir', path.join(path.dirname(file), 'bk')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      const before = stderr;
      stderr += d;
      if (!/Back up the database/.test(before) && /Back up the database/.test(stderr)) fs.rmSync(file);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/was moved or deleted while this run had it open|moved or deleted/);
    expect(stderr).not.toMatch(/unexpected error/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
