/**
 * verify's data promises: no row lost since each applied phase's "before", and learned_patterns'
 * rows kept in the archive rollback restores them from.
 *
 * A local file is measured in full (the file worker's record digest). A remote database is
 * compared by the per-table aggregates its server computed when the phase's "before" was
 * measured (row counts, per column the values of each storage class, their byte lengths and
 * numeric totals): one request whatever its size, where hashing would read every row over the
 * network again. `--thorough` hashes every row remotely too. Journal entries of earlier
 * versions carry no aggregates and are always compared by their digest.
 */
import {
  type ContentDigest,
  type DigestKind,
  hashedTables,
  kindOf,
  measureContent,
  measureTable,
  preferredKind,
  readAggregates,
  type TableAggregates,
} from '../proof/index.js';
import type { Check, Snapshot, TableInfo } from '../model/index.js';
import { activeApplies, type JournalEntry, type Session } from '../engine/index.js';
import { type PhaseId, PHASES } from '../sql/index.js';
import { findTable } from '../db/index.js';

type Before = ContentDigest & { measuredAt: string };

/** What each data check compares with: the digests measured now, or the server's aggregates now. */
export interface DataEvidence {
  digests: Map<DigestKind, ContentDigest>;
  aggregates: TableAggregates;
}

/** The measurements verify's data checks need, started at once (the digests run off this thread). */
export function startDataEvidence(session: Session, snapshot: Snapshot, journal: JournalEntry[], thorough: boolean, deferred = false): Promise<DataEvidence> {
  const byAggregates = (before: Before) => comparedByAggregates(session, before, thorough);
  // Deferred, only the archive is measured: the phases' content is compared later, in one pass.
  const befores = deferred ? [] : appliedBefores(journal).map(([, before]) => before);
  const kinds = new Set(befores.filter((b) => !byAggregates(b)).map(kindOf));
  const digests = [...kinds]
    .filter((k) => k === 'values' || preferredKind(session.db) === 'records')
    .map(async (k) => [k, await measureContent(session.db, snapshot, k)] as const);
  const archive = archiveOf(journal);
  const archived = archive && findTable(snapshot, archive.archiveTable);
  const tables: TableInfo[] = [];
  if (befores.some(byAggregates)) tables.push(...hashedTables(snapshot));
  if (archived && archive.before && byAggregates(archive.before)) tables.push({ ...archived, columns: archive.columns });
  const aggregates = tables.length > 0 ? readAggregates(session.db, tables) : Promise.resolve({});
  const evidence = Promise.all([Promise.all(digests), aggregates]).then(([d, a]) => ({ digests: new Map(d), aggregates: a }));
  evidence.catch(() => undefined);
  return evidence;
}

function comparedByAggregates(session: Session, before: Before, thorough: boolean): boolean {
  return session.db.target.kind === 'remote' && !thorough && before.aggregates !== undefined;
}

/** Each applied phase's "before", in phase order (entries without one are left out). */
function appliedBefores(journal: JournalEntry[]): [PhaseId, Before][] {
  return (['phase1', 'phase2'] as const).flatMap((phase) => {
    const before = activeApplies(journal, phase).find((e) => e.beforeContent)?.beforeContent;
    return before ? [[phase, before] as [PhaseId, Before]] : [];
  });
}

function archiveOf(journal: JournalEntry[]) {
  const entry = activeApplies(journal, 'phase1').find((e) => e.archive);
  return entry?.archive ? { ...entry.archive, before: entry.beforeContent ?? null } : null;
}

/** How a table's rows differ from before, in words. */
function differenceOf(was: number | undefined, now: number | undefined): string {
  if (now === undefined || was === undefined || now === was) return 'values differ';
  return now < was ? 'rows missing' : 'rows added since';
}

const rowsOf = (aggregate: string | undefined) => (aggregate === undefined ? undefined : Number(aggregate.split(',')[0]));

/** learned_patterns' rows sit in the archive rollback restores them from, all of them. */
export async function archiveCheck(session: Session, snapshot: Snapshot, journal: JournalEntry[], evidence: DataEvidence, thorough: boolean): Promise<Check> {
  const name = 'learned_patterns rows kept for rollback';
  if (findTable(snapshot, 'learned_patterns')) {
    return { name, phase: 'phase1', status: 'pending', detail: 'learned_patterns still exists (Phase 1 not applied)' };
  }
  const archive = archiveOf(journal);
  if (!archive) {
    return {
      name,
      phase: 'phase1',
      status: 'warn',
      detail: 'learned_patterns was dropped outside schema-wizard: rollback cannot bring its rows back (only a backup can)',
    };
  }
  const archived = findTable(snapshot, archive.archiveTable);
  if (!archived) return { name, phase: 'phase1', status: 'fail', detail: `${archive.archiveTable} is missing` };
  const before = archive.before;
  const expected = before?.tables.learned_patterns;
  if (before && comparedByAggregates(session, before, thorough)) {
    const [was, now] = [before.aggregates!.learned_patterns, evidence.aggregates[archive.archiveTable]];
    const same = was === now;
    return {
      name,
      phase: 'phase1',
      status: same ? 'pass' : 'fail',
      detail: same
        ? `${rowsOf(now)} rows in ${archive.archiveTable}, their aggregates equal to before (verify --thorough hashes every row)`
        : `${archive.archiveTable} holds ${rowsOf(now)} rows; ${rowsOf(was)} were there before, ${differenceOf(rowsOf(was), rowsOf(now))}`,
    };
  }
  // A renamed archive is the table itself (same columns); a copy of earlier versions has one more, its rowids.
  const kind = before ? kindOf(before) : preferredKind(session.db);
  if (kind === 'records' && preferredKind(session.db) !== 'records') {
    const rows = archived.rows ?? 0;
    return {
      name,
      phase: 'phase1',
      status: rows === expected?.rows ? 'pass' : 'fail',
      detail: `${rows} rows in ${archive.archiveTable}; ${expected?.rows} were there before (a record digest needs the local file, so only the count is compared)`,
    };
  }
  const digest = await measureTable(session.db, { ...archived, columns: archive.columns }, kind);
  if (expected && (digest.rows !== expected.rows || digest.sha256 !== expected.sha256)) {
    return {
      name,
      phase: 'phase1',
      status: 'fail',
      detail: `${archive.archiveTable} holds ${digest.rows} rows; ${expected.rows} were there before, ${digest.rows === expected.rows ? 'content differs' : differenceOf(expected.rows, digest.rows)}`,
    };
  }
  return {
    name,
    phase: 'phase1',
    status: 'pass',
    detail: `${digest.rows} rows in ${archive.archiveTable}${expected ? ', content hash equal to before' : ''}`,
  };
}

/** Rows and content equal to what was measured before each applied phase. */
export function dataChecks(
  session: Session,
  journal: JournalEntry[],
  evidence: DataEvidence,
  { thorough, deferred = false, strict = [] }: { thorough: boolean; deferred?: boolean; strict?: PhaseId[] },
): Check[] {
  // Tables the migration drops on purpose: their rows are checked in their archive instead.
  const archived = new Set(['phase1', 'phase2'].flatMap((p) => activeApplies(journal, p as PhaseId).flatMap((e) => (e.archive ? [e.archive.table] : []))));
  const compared = (table: string) => !archived.has(table) && table !== 'sqlite_sequence';
  // Keys hashed by Phase 2 (--hash-plaintext-keys) change users' content by design, and rollback
  // cannot unhash them, so an undone Phase 2 counts too: users' rows are still counted.
  const keysHashed = journal.some((e) => e.phase === 'phase2' && e.action === 'apply' && e.hashedKeys > 0);
  const contentCompared = (table: string) => !(keysHashed && table === 'users');
  const befores = new Map(appliedBefores(journal));
  return (['phase1', 'phase2'] as const).map((phase): Check => {
    const name = `rows and content kept (${PHASES[phase].title})`;
    const before = befores.get(phase);
    if (!before) return { name, phase: 'data', status: 'pending', detail: `no ${PHASES[phase].title} recorded in the journal` };
    if (deferred) {
      return {
        name,
        phase: 'data',
        status: 'pending',
        detail: `compared once, after the last phase, with the content measured at ${before.measuredAt}; the row counts were checked before the phase and inside its write`,
      };
    }
    const byAggregates = comparedByAggregates(session, before, thorough);
    const current = byAggregates ? null : evidence.digests.get(kindOf(before));
    if (!byAggregates && !current) {
      return {
        name,
        phase: 'data',
        status: 'warn',
        detail: `the content recorded before ${PHASES[phase].title} is a record digest, which only a local file gives; this database cannot be compared with it (row counts are checked by each phase)`,
      };
    }
    const lost: string[] = [];
    const changed: string[] = [];
    const tables = Object.keys(before.tables).filter(compared);
    for (const table of tables) {
      const [was, now] = byAggregates
        ? [rowsOf(before.aggregates![table]), rowsOf(evidence.aggregates[table])]
        : [before.tables[table].rows, current!.tables[table]?.rows];
      const same = byAggregates ? before.aggregates![table] === evidence.aggregates[table] : before.tables[table].sha256 === current!.tables[table]?.sha256;
      if (now === undefined || now < was!) lost.push(`${table}: ${was} -> ${now ?? 'gone'}`);
      else if (!same && contentCompared(table)) changed.push(`${table}: ${was} -> ${now} rows`);
    }
    if (lost.length > 0) return { name, phase: 'data', status: 'fail', detail: `rows missing since ${before.measuredAt}: ${lost.join('; ')}` };
    if (changed.length > 0 && strict.includes(phase)) {
      return {
        name,
        phase: 'data',
        status: 'fail',
        detail: `no rows lost, but content changed since ${before.measuredAt} (${changed.join('; ')}): something wrote to the database during the maintenance window, and a restore from the backup would undo it`,
      };
    }
    if (changed.length > 0) {
      return {
        name,
        phase: 'data',
        status: 'warn',
        detail: `no rows lost, but content changed since ${before.measuredAt} (${changed.join('; ')}): the application has written since; the migration itself changes no row`,
      };
    }
    const what = byAggregates
      ? 'row counts and per-column aggregates (values of each type, byte lengths, numeric totals) equal to those the server computed'
      : 'row counts and content hashes equal to those measured';
    const more =
      (keysHashed ? "; users' rows counted, its content not compared (Phase 2 hashed its plaintext keys)" : '') +
      (byAggregates ? '; verify --thorough hashes every row' : '');
    return { name, phase: 'data', status: 'pass', detail: `${tables.length} tables: ${what} at ${before.measuredAt}${more}` };
  });
}
