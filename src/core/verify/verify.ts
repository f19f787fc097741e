/**
 * `verify`: every promise of the guide as a check against the database as it is: the 17 schema
 * checks, data preservation against the digests the journal recorded before each phase,
 * integrity (quick_check or integrity_check, foreign keys, FTS5), and query plans.
 */
import { type ContentDigest, type DigestKind, kindOf, measureContent, measureTable, preferredKind } from '../proof/index.js';
import { type Check, messageOf, type Snapshot, type VerifyReport } from '../model/index.js';
import { activeApplies, inspect, type JournalEntry, readJournal, type Session, step, undoOfApplied } from '../engine/index.js';
import { type PhaseId, PHASES, quoteIdent } from '../sql/index.js';
import { findTable, str } from '../db/index.js';
import { queryPlanChecks } from './query-plans.js';
import { phaseState, schemaChecks } from './schema-checks.js';

export interface VerifyOptions {
  phases: PhaseId[];
  thorough: boolean;
  /**
   * Only the requested phases' data proofs decide `ok` (the others are still reported). The
   * window verifies each phase right after it ran; rows the operator accepted losing before
   * Phase 2 must not fail Phase 2's verification through Phase 1's older proof.
   */
  onlyRequestedData?: boolean;
}

export async function runVerify(session: Session, options: VerifyOptions): Promise<VerifyReport> {
  const snapshot = await inspect(session);
  const journal = await readJournal(session.db, snapshot);
  return step(
    session,
    'check',
    'Verify',
    async () => {
      const checks: Check[] = [...schemaChecks(snapshot, journal)];
      // The full content pass is the longest check: on a local file it runs in the file worker
      // while this thread runs the integrity checks and query plans. It is measured in each kind
      // the journal recorded (entries of earlier versions hold value digests).
      const kinds = recordedKinds(journal).filter((k) => k === 'values' || preferredKind(session.db) === 'records');
      const measured = new Map<DigestKind, Promise<ContentDigest>>(kinds.map((k) => [k, measureContent(session.db, snapshot, k)]));
      for (const p of measured.values()) p.catch(() => undefined);
      // After the nine Phase 1 schema checks: the tenth Phase 1 promise needs the data.
      checks.splice(9, 0, await archiveCheck(session, snapshot, journal));
      checks.push(plaintextKeyCheck(snapshot));
      const integrity = await integrityChecks(session, snapshot, options.thorough);
      // The undo of what is applied, rehearsed in scratch, tells scans the migration caused from older ones.
      const plans = await queryPlanChecks(session.db, snapshot, undoOfApplied(snapshot, journal) ?? []);
      const current = new Map<DigestKind, ContentDigest>();
      for (const [k, p] of measured) current.set(k, await p);
      checks.push(...dataChecks(journal, current), ...integrity, ...plans);
      const phases = { phase1: phaseState(snapshot, journal, PHASES.phase1), phase2: phaseState(snapshot, journal, PHASES.phase2) };
      const requestedPending = options.phases.some((p) => phases[p] !== 'applied');
      const requestedData = (c: Check) => options.phases.some((p) => c.name.endsWith(`(${PHASES[p].title})`));
      const relevant = checks.filter((c) =>
        c.phase === 'phase1' || c.phase === 'phase2'
          ? options.phases.includes(c.phase)
          : c.phase === 'data' && options.onlyRequestedData
            ? requestedData(c)
            : true,
      );
      const ok = !relevant.some((c) => c.status === 'fail') && !requestedPending;
      return { ok, checks, phases };
    },
    (r) => `${r.checks.filter((c) => c.status === 'pass').length} of ${r.checks.length} checks passed`,
  );
}

/** learned_patterns' rows sit in the archive rollback restores them from, all of them. */
async function archiveCheck(session: Session, snapshot: Snapshot, journal: JournalEntry[]): Promise<Check> {
  const name = 'learned_patterns rows kept for rollback';
  if (findTable(snapshot, 'learned_patterns')) {
    return { name, phase: 'phase1', status: 'pending', detail: 'learned_patterns still exists (Phase 1 not applied)' };
  }
  const entry = activeApplies(journal, 'phase1').find((e) => e.archive);
  if (!entry?.archive) {
    return {
      name,
      phase: 'phase1',
      status: 'warn',
      detail: 'learned_patterns was dropped outside schema-wizard: rollback cannot bring its rows back (only a backup can)',
    };
  }
  const archived = findTable(snapshot, entry.archive.archiveTable);
  const expected = entry.beforeContent?.tables.learned_patterns;
  if (!archived) return { name, phase: 'phase1', status: 'fail', detail: `${entry.archive.archiveTable} is missing` };
  // A renamed archive is the table itself (same columns); a copy of earlier versions has one more, its rowids.
  const kind = expected ? kindOf(entry.beforeContent!) : preferredKind(session.db);
  if (kind === 'records' && preferredKind(session.db) !== 'records') {
    const rows = archived.rows ?? 0;
    return {
      name,
      phase: 'phase1',
      status: rows === expected?.rows ? 'pass' : 'fail',
      detail: `${rows} rows in ${entry.archive.archiveTable}; ${expected?.rows} were there before (a record digest needs the local file, so only the count is compared)`,
    };
  }
  const digest = await measureTable(session.db, { ...archived, columns: entry.archive.columns }, kind);
  if (expected && (digest.rows !== expected.rows || digest.sha256 !== expected.sha256)) {
    return {
      name,
      phase: 'phase1',
      status: 'fail',
      detail: `${entry.archive.archiveTable} holds ${digest.rows} rows; ${expected.rows} were there before, content ${digest.sha256 === expected.sha256 ? 'equal' : 'differs'}`,
    };
  }
  return {
    name,
    phase: 'phase1',
    status: 'pass',
    detail: `${digest.rows} rows in ${entry.archive.archiveTable}${expected ? ', content hash equal to before' : ''}`,
  };
}

function plaintextKeyCheck(snapshot: Snapshot): Check {
  const name = 'API keys stored as SHA-256';
  const keys = snapshot.plaintextKeys;
  if (!keys) return { name, phase: 'phase2', status: 'warn', detail: 'users has no api_key / api_key_hash column' };
  if (keys.count === 0) return { name, phase: 'phase2', status: 'pass', detail: `every non-null users.${keys.column} is 64 hex characters` };
  return {
    name,
    phase: 'phase2',
    status: 'warn',
    detail: `${keys.count} users hold a value that is not a SHA-256 hex digest: the application looks keys up by hash, so they cannot authenticate (apply --hash-plaintext-keys hashes them; values are never printed)`,
  };
}

/** The digest kinds the active apply entries recorded (none when nothing is applied). */
function recordedKinds(journal: JournalEntry[]): DigestKind[] {
  const kinds = new Set<DigestKind>();
  for (const phase of ['phase1', 'phase2'] as const) {
    const entry = activeApplies(journal, phase).find((e) => e.beforeContent);
    if (entry?.beforeContent) kinds.add(kindOf(entry.beforeContent));
  }
  return [...kinds];
}

/** Rows and content equal to the digest the journal recorded before each applied phase. */
function dataChecks(journal: JournalEntry[], measured: Map<DigestKind, ContentDigest>): Check[] {
  const checks: Check[] = [];
  // Tables the migration drops on purpose: their rows are checked in their archive instead.
  const archived = new Set(['phase1', 'phase2'].flatMap((p) => activeApplies(journal, p as PhaseId).flatMap((e) => (e.archive ? [e.archive.table] : []))));
  for (const phase of ['phase1', 'phase2'] as const) {
    const entry = activeApplies(journal, phase).find((e) => e.beforeContent);
    const name = `rows and content kept (${PHASES[phase].title})`;
    if (!entry?.beforeContent) {
      checks.push({ name, phase: 'data', status: 'pending', detail: `no ${PHASES[phase].title} recorded in the journal` });
      continue;
    }
    const current = measured.get(kindOf(entry.beforeContent));
    if (!current) {
      checks.push({
        name,
        phase: 'data',
        status: 'warn',
        detail: `the content recorded before ${PHASES[phase].title} is a record digest, which only a local file gives; this database cannot be compared with it (row counts are checked by each phase)`,
      });
      continue;
    }
    const lost: string[] = [];
    const changed: string[] = [];
    for (const [table, before] of Object.entries(entry.beforeContent.tables)) {
      // sqlite_sequence is counter state, not data: dropping learned_patterns removes its row by design.
      if (archived.has(table) || table === 'sqlite_sequence') continue;
      const now = current.tables[table];
      if (!now || now.rows < before.rows) lost.push(`${table}: ${before.rows} -> ${now?.rows ?? 'gone'}`);
      else if (now.sha256 !== before.sha256) changed.push(`${table}: ${before.rows} -> ${now.rows} rows`);
    }
    const tables = Object.keys(entry.beforeContent.tables).filter((t) => !archived.has(t) && t !== 'sqlite_sequence').length;
    if (lost.length > 0)
      checks.push({ name, phase: 'data', status: 'fail', detail: `rows missing since ${entry.beforeContent.measuredAt}: ${lost.join('; ')}` });
    else if (changed.length > 0) {
      checks.push({
        name,
        phase: 'data',
        status: 'warn',
        detail: `no rows lost, but content changed since ${entry.beforeContent.measuredAt} (${changed.join('; ')}): the application has written since; the migration itself changes no row`,
      });
    } else
      checks.push({
        name,
        phase: 'data',
        status: 'pass',
        detail: `${tables} tables: row counts and content hashes equal to those measured at ${entry.beforeContent.measuredAt}`,
      });
  }
  return checks;
}

async function integrityChecks(session: Session, snapshot: Snapshot, thorough: boolean): Promise<Check[]> {
  const checks: Check[] = [];
  const pragma = thorough ? 'integrity_check' : 'quick_check';
  const integrity = (await session.db.query(`PRAGMA ${pragma}`)).map((r) => str(Object.values(r)[0]));
  checks.push({
    name: pragma,
    phase: 'integrity',
    status: integrity.length === 1 && integrity[0] === 'ok' ? 'pass' : 'fail',
    detail: integrity.length === 1 && integrity[0] === 'ok' ? 'ok' : integrity.slice(0, 3).join('; '),
  });
  const fk = await session.db.query('PRAGMA foreign_key_check');
  const byTable = new Map<string, number>();
  for (const r of fk) byTable.set(str(r.table), (byTable.get(str(r.table)) ?? 0) + 1);
  checks.push({
    name: 'foreign_key_check',
    phase: 'integrity',
    status: fk.length === 0 ? 'pass' : 'fail',
    detail: fk.length === 0 ? 'no violations' : `${fk.length} rows reference missing parents (${[...byTable].map(([t, n]) => `${t}: ${n}`).join(', ')})`,
  });
  for (const fts of snapshot.tables.filter((t) => t.kind === 'virtual' && /using\s+fts5/i.test(t.sql ?? ''))) {
    const name = `FTS5 integrity-check: ${fts.name}`;
    try {
      // Reads the index and compares it with its content table; it changes nothing.
      await session.db.execute(`INSERT INTO ${quoteIdent(fts.name)}(${quoteIdent(fts.name)}) VALUES('integrity-check')`);
      checks.push({ name, phase: 'integrity', status: 'pass', detail: 'index consistent with its content' });
    } catch (error) {
      const readOnly = /readonly|read-only/i.test(messageOf(error));
      checks.push({ name, phase: 'integrity', status: readOnly ? 'warn' : 'fail', detail: readOnly ? 'not run: the database is read-only' : messageOf(error) });
    }
  }
  return checks;
}
