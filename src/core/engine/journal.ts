/**
 * The journal lives inside the database, in _schema_wizard_journal, and every entry is written
 * in the same atomic write as the phase it describes: an entry exists exactly when its phase
 * ran. What it records (dropped DDL, counts, the sqlite_sequence value) is read by SQL inside
 * that same transaction, so it describes the database at the very moment of the change.
 */
import { type Db, findTable, guideTables, namedIndexes, num, type Stmt, str, userTriggers } from '../db/index.js';
import type { ContentDigest } from '../proof/index.js';
import type { BackupRef, OperatorInfo, Snapshot, TableInfo } from '../model/index.js';
import { type ColumnRename, type PhaseId, quoteIdent } from '../sql/index.js';
import type { ArchivePlan } from './planner.js';

export const JOURNAL_TABLE = '_schema_wizard_journal';
export const LOCK_TABLE = '_schema_wizard_lock';

export const BOOKKEEPING_DDL: Stmt[] = [
  {
    sql:
      `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (` +
      'id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, phase TEXT NOT NULL, action TEXT NOT NULL, ' +
      'statements TEXT NOT NULL, dropped TEXT NOT NULL, created TEXT NOT NULL, renamed TEXT NOT NULL, ' +
      'archive TEXT, sequence INTEGER, before_counts TEXT NOT NULL, backup TEXT, operator TEXT NOT NULL, ' +
      'tool_version TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, undone_by INTEGER, undoes INTEGER, ' +
      'before_content TEXT, before_stats TEXT, hashed_keys INTEGER NOT NULL DEFAULT 0)',
  },
  {
    sql:
      `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (` +
      'id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, ' +
      '"user" TEXT NOT NULL, command TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL)',
  },
];

export interface DroppedObject {
  type: 'table' | 'index' | 'trigger' | 'view';
  name: string;
  table: string;
  sql: string;
}

export interface JournalEntry {
  id: number;
  runId: string;
  phase: PhaseId;
  action: 'apply' | 'rollback';
  statements: string[];
  dropped: DroppedObject[];
  created: string[];
  renamed: ColumnRename[];
  archive: ArchivePlan | null;
  /** sqlite_sequence value of the archived table when it was dropped. */
  sequence: number | null;
  beforeCounts: Record<string, number>;
  backup: BackupRef | null;
  operator: OperatorInfo;
  toolVersion: string;
  startedAt: string;
  finishedAt: string;
  undoneBy: number | null;
  undoes: number | null;
  /** Content digest of every table, measured at the start of the run (backup or hashing). */
  beforeContent: (ContentDigest & { measuredAt: string }) | null;
  /** Schema statistics before the phase, for stats' before/after table. */
  beforeStats: BeforeStats | null;
  /** Plaintext API keys replaced by their SHA-256 in this phase (undo only from the backup). */
  hashedKeys: number;
}

export interface BeforeStats {
  tables: number;
  indexes: number;
  triggers: number;
  bytes: number;
  freeBytes: number;
}

export interface EntryInput {
  runId: string;
  phase: PhaseId;
  action: 'apply' | 'rollback';
  statements: string[];
  dropped: string[];
  created: string[];
  renamed: ColumnRename[];
  archive: ArchivePlan | null;
  backup: BackupRef | null;
  operator: OperatorInfo;
  toolVersion: string;
  startedAt: string;
  undoes: number | null;
  beforeContent?: (ContentDigest & { measuredAt: string }) | null;
  beforeStats?: BeforeStats | null;
  hashedKeys?: number;
}

const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** The tables whose rows a write counts (the journal's before-counts, the row guards, the warm-up before them): the plain ones. */
export function countedTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter((t) => t.kind === 'plain');
}

/**
 * The INSERT that opens a phase's atomic write. Counts and dropped DDL are SELECTed in the
 * same transaction, before any DDL of the phase runs.
 */
export function journalInsert(entry: EntryInput, snapshot: Snapshot): Stmt {
  const counted = countedTables(snapshot);
  const countsSql =
    counted.length === 0
      ? "'{}'"
      : `(SELECT json_group_object(t, n) FROM (${counted.map((t) => `SELECT ? AS t, (SELECT count(*) FROM ${quoteIdent(t.name)}) AS n`).join(' UNION ALL ')}))`;
  const droppedSql =
    entry.dropped.length === 0
      ? "'[]'"
      : `(SELECT json_group_array(json_object('type', type, 'name', name, 'table', tbl_name, 'sql', sql)) FROM ` +
        `(SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name IN (${entry.dropped.map(() => '?').join(', ')}) ORDER BY rowid))`;
  const archived = entry.archive ? findTable(snapshot, entry.archive.table) : undefined;
  const tracksSequence = Boolean(archived?.sql && /autoincrement/i.test(archived.sql) && findTable(snapshot, 'sqlite_sequence'));
  const sequenceSql = tracksSequence ? '(SELECT seq FROM sqlite_sequence WHERE name = ?)' : 'NULL';
  return {
    sql:
      `INSERT INTO ${JOURNAL_TABLE} (run_id, phase, action, statements, dropped, created, renamed, archive, sequence, before_counts, backup, operator, tool_version, started_at, finished_at, undoes, before_content, before_stats, hashed_keys) ` +
      `VALUES (?, ?, ?, ?, ${droppedSql}, ?, ?, ?, ${sequenceSql}, ${countsSql}, ?, ?, ?, ?, ${NOW_SQL}, ?, ?, ?, ?)`,
    args: [
      entry.runId,
      entry.phase,
      entry.action,
      JSON.stringify(entry.statements),
      ...entry.dropped,
      JSON.stringify(entry.created),
      JSON.stringify(entry.renamed),
      entry.archive ? JSON.stringify(entry.archive) : null,
      ...(tracksSequence ? [entry.archive!.table] : []),
      ...counted.map((t) => t.name),
      entry.backup ? JSON.stringify(entry.backup) : null,
      JSON.stringify(entry.operator),
      entry.toolVersion,
      entry.startedAt,
      entry.undoes,
      entry.beforeContent ? JSON.stringify(entry.beforeContent) : null,
      entry.beforeStats ? JSON.stringify(entry.beforeStats) : null,
      BigInt(entry.hashedKeys ?? 0),
    ],
  };
}

/** Marks an apply entry as undone by the rollback entry inserted just before, in the same write. */
export function markUndone(applyId: number): Stmt {
  return {
    sql: `UPDATE ${JOURNAL_TABLE} SET undone_by = (SELECT max(id) FROM ${JOURNAL_TABLE}) WHERE id = ?`,
    args: [applyId],
  };
}

export function beforeStatsOf(snapshot: Snapshot): BeforeStats {
  return {
    tables: guideTables(snapshot).length,
    indexes: namedIndexes(snapshot).length,
    triggers: userTriggers(snapshot).length,
    bytes: snapshot.pageCount * snapshot.pageSize,
    freeBytes: snapshot.freePages * snapshot.pageSize,
  };
}

export function hasJournal(snapshot: Snapshot): boolean {
  return Boolean(findTable(snapshot, JOURNAL_TABLE));
}

export async function readJournal(db: Db, snapshot: Snapshot): Promise<JournalEntry[]> {
  if (!hasJournal(snapshot)) return [];
  const rows = await db.query(`SELECT * FROM ${JOURNAL_TABLE} ORDER BY id`);
  return rows.map((r) => ({
    id: num(r.id),
    runId: str(r.run_id),
    phase: str(r.phase) as PhaseId,
    action: str(r.action) as 'apply' | 'rollback',
    statements: JSON.parse(str(r.statements)),
    dropped: JSON.parse(str(r.dropped)),
    created: JSON.parse(str(r.created)),
    renamed: JSON.parse(str(r.renamed)),
    archive: r.archive === null ? null : JSON.parse(str(r.archive)),
    sequence: r.sequence === null ? null : num(r.sequence),
    beforeCounts: JSON.parse(str(r.before_counts)),
    backup: r.backup === null ? null : JSON.parse(str(r.backup)),
    operator: JSON.parse(str(r.operator)),
    toolVersion: str(r.tool_version),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    undoneBy: r.undone_by === null ? null : num(r.undone_by),
    undoes: r.undoes === null ? null : num(r.undoes),
    beforeContent: r.before_content === null ? null : JSON.parse(str(r.before_content)),
    beforeStats: r.before_stats === null ? null : JSON.parse(str(r.before_stats)),
    hashedKeys: num(r.hashed_keys),
  }));
}

/** Apply entries of a phase still in effect, newest first (what a rollback must undo). */
export function activeApplies(entries: JournalEntry[], phase: PhaseId): JournalEntry[] {
  return entries.filter((e) => e.action === 'apply' && e.phase === phase && e.undoneBy === null).reverse();
}
