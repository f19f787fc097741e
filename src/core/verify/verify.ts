/**
 * `verify`: every promise of the guide as a check against the database as it is: the 17 schema
 * checks, data preservation against the digests the journal recorded before each phase,
 * integrity (quick_check or integrity_check, foreign keys, FTS5), and query plans.
 */
import { type Check, checkFailure, messageOf, type Snapshot, type VerifyReport } from '../model/index.js';
import { inspect, readJournal, type Session, step, undoOfApplied } from '../engine/index.js';
import { archiveCheck, dataChecks, startDataEvidence } from './data-checks.js';
import { type PhaseId, PHASES, quoteIdent } from '../sql/index.js';
import { type Row, str } from '../db/index.js';
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
  /** The phases whose data proofs decide `ok` with onlyRequestedData (default: `phases`). */
  dataOf?: PhaseId[];
  /**
   * The content is compared by a later verification of the same window: the data proofs are
   * reported pending and nothing is measured for them (the archive check still runs).
   */
  deferContent?: boolean;
  /**
   * The phases whose changed content (no row lost) fails instead of warning: those the window
   * applied itself, while nothing else may write. A phase applied by an earlier run, and a
   * verify run days later, expect the application's writes since.
   */
  strictContent?: PhaseId[];
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
      // The content measures are the longest checks: on a local file the digest runs in the file
      // worker while this thread runs the integrity checks and query plans.
      const evidence = startDataEvidence(session, snapshot, journal, options.thorough, options.deferContent);
      const integrity = await integrityChecks(session, snapshot, options.thorough);
      // The undo of what is applied, rehearsed in scratch, tells scans the migration caused from older ones.
      const plans = await queryPlanChecks(session.db, snapshot, undoOfApplied(snapshot, journal) ?? []);
      const measured = await evidence;
      // After the nine Phase 1 schema checks: the tenth Phase 1 promise needs the data.
      checks.splice(9, 0, await archiveCheck(session, snapshot, journal, measured, options.thorough));
      checks.push(plaintextKeyCheck(snapshot));
      checks.push(
        ...dataChecks(session, journal, measured, { thorough: options.thorough, deferred: options.deferContent, strict: options.strictContent }),
        ...integrity,
        ...plans,
      );
      const phases = { phase1: phaseState(snapshot, journal, PHASES.phase1), phase2: phaseState(snapshot, journal, PHASES.phase2) };
      const requestedPending = options.phases.some((p) => phases[p] !== 'applied');
      const requestedData = (c: Check) => (options.dataOf ?? options.phases).some((p) => c.name.endsWith(`(${PHASES[p].title})`));
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

async function integrityChecks(session: Session, snapshot: Snapshot, thorough: boolean): Promise<Check[]> {
  const pragma = thorough ? 'integrity_check' : 'quick_check';
  // Both pragmas in one read transaction: one request to a remote database. Where that fails
  // (foreign_key_check errors on a foreign key whose parent key is not unique), each runs alone.
  // foreign_key_check first: when it errors, the batch stops before the long integrity pragma.
  const [fkRows, integrityRows] = await session.db
    .readBatch([{ sql: 'PRAGMA foreign_key_check' }, { sql: `PRAGMA ${pragma}` }])
    .then((r) => r.map((set) => set.rows))
    .catch((error: unknown) => {
      checkFailure(error);
      return Promise.all([pragmaRows(session, 'foreign_key_check'), pragmaRows(session, pragma)]);
    });
  const couldNotRun = (name: string, error: Error): Check => ({ name, phase: 'integrity', status: 'fail', detail: `could not run: ${messageOf(error)}` });
  return [
    integrityRows instanceof Error ? couldNotRun(pragma, integrityRows) : integrityCheck(pragma, integrityRows),
    fkRows instanceof Error ? couldNotRun('foreign_key_check', fkRows) : foreignKeyCheck(fkRows),
    ...(await ftsChecks(session, snapshot)),
  ];
}

async function pragmaRows(session: Session, pragma: string): Promise<Row[] | Error> {
  return session.db.query(`PRAGMA ${pragma}`).catch(checkFailure);
}

function integrityCheck(pragma: string, rows: Row[]): Check {
  const integrity = rows.map((r) => str(Object.values(r)[0]));
  const ok = integrity.length === 1 && integrity[0] === 'ok';
  return { name: pragma, phase: 'integrity', status: ok ? 'pass' : 'fail', detail: ok ? 'ok' : integrity.slice(0, 3).join('; ') };
}

function foreignKeyCheck(fk: Row[]): Check {
  const byTable = new Map<string, number>();
  for (const r of fk) byTable.set(str(r.table), (byTable.get(str(r.table)) ?? 0) + 1);
  return {
    name: 'foreign_key_check',
    phase: 'integrity',
    status: fk.length === 0 ? 'pass' : 'fail',
    detail: fk.length === 0 ? 'no violations' : `${fk.length} rows reference missing parents (${[...byTable].map(([t, n]) => `${t}: ${n}`).join(', ')})`,
  };
}

/**
 * FTS5's integrity-check of each FTS table: it reads the index and compares it with its content
 * table, changing nothing. Remotely all of them in one request; when that fails, each on its own,
 * so the failing one is named (and a read-only database is a warning, not a failure).
 */
async function ftsChecks(session: Session, snapshot: Snapshot): Promise<Check[]> {
  const tables = snapshot.tables.filter((t) => t.kind === 'virtual' && /using\s+fts5/i.test(t.sql ?? ''));
  const statement = (name: string) => ({ sql: `INSERT INTO ${quoteIdent(name)}(${quoteIdent(name)}) VALUES('integrity-check')` });
  const check = (name: string, status: Check['status'], detail: string): Check => ({
    name: `FTS5 integrity-check: ${name}`,
    phase: 'integrity',
    status,
    detail,
  });
  const consistent = 'index consistent with its content';
  // Remotely all in one request. A local file runs each in autocommit, as it always did: no
  // write transaction held across them, no lock wait announced, the write-lock window untouched.
  if (session.db.target.kind === 'remote' && tables.length > 0) {
    const together = await session.db.atomicWrite(tables.map((t) => statement(t.name))).then(
      () => true,
      (error: unknown) => !checkFailure(error),
    );
    if (together) return tables.map((t) => check(t.name, 'pass', consistent));
  }
  const checks: Check[] = [];
  for (const fts of tables) {
    const failure = await session.db.execute(statement(fts.name).sql).then(() => null, checkFailure);
    const readOnly = failure !== null && /readonly|read-only/i.test(messageOf(failure));
    checks.push(
      failure === null
        ? check(fts.name, 'pass', consistent)
        : readOnly
          ? check(fts.name, 'warn', 'not run: the database is read-only')
          : check(fts.name, 'fail', messageOf(failure)),
    );
  }
  return checks;
}
