/**
 * Statistics counted the guide's way (tables = plain + virtual; FTS shadow and internal tables
 * apart; named indexes), plus rows per table and sizes measured from the file's pages.
 */
import { type Db, guideTables, isBookkeeping, namedIndexes, num, rowCounts, str, userTriggers } from '../db/index.js';
import type { Snapshot, Stats } from '../model/index.js';
export type { IndexStat, Stats } from '../model/index.js';

export async function collectStats(db: Db, snapshot: Snapshot): Promise<Stats> {
  const indexes = namedIndexes(snapshot);
  const sizes = await indexSizes(db);
  const tables = guideTables(snapshot);
  const rows = rowCounts(snapshot);
  return {
    counts: {
      tables: tables.length,
      plainTables: tables.filter((t) => t.kind === 'plain').length,
      virtualTables: tables.filter((t) => t.kind === 'virtual').length,
      indexes: indexes.length,
      triggers: userTriggers(snapshot).length,
      views: snapshot.views.length,
      ftsShadowTables: snapshot.tables.filter((t) => t.kind === 'shadow').length,
      internalTables: snapshot.tables.filter((t) => t.kind === 'internal').length,
    },
    tables: tables.map((t) => t.name).sort(),
    ftsShadowTables: snapshot.tables
      .filter((t) => t.kind === 'shadow')
      .map((t) => t.name)
      .sort(),
    internalTables: snapshot.tables
      .filter((t) => t.kind === 'internal')
      .map((t) => t.name)
      .sort(),
    indexes: indexes
      .map((i) => ({ name: i.name, table: i.table, columns: i.columns, bytes: sizes ? (sizes.get(i.name) ?? 0) : null }))
      .sort((a, b) => a.table.localeCompare(b.table) || a.name.localeCompare(b.name)),
    triggers: userTriggers(snapshot)
      .map((t) => t.name)
      .sort(),
    views: snapshot.views.map((v) => v.name).sort(),
    rows,
    totalRows: Object.values(rows).reduce((a, b) => a + b, 0),
    size: {
      pageSize: snapshot.pageSize,
      pageCount: snapshot.pageCount,
      bytes: snapshot.pageSize * snapshot.pageCount,
      freeBytes: snapshot.pageSize * snapshot.freePages,
    },
    dbstat: sizes !== null,
  };
}

/** Per-index bytes from dbstat (aggregate mode: one row per b-tree); null when unavailable. */
async function indexSizes(db: Db): Promise<Map<string, number> | null> {
  try {
    const rows = await db.query(
      "SELECT s.name AS name, sum(d.pgsize) AS bytes FROM sqlite_schema AS s JOIN dbstat AS d ON d.name = s.name WHERE s.type = 'index' GROUP BY s.name",
    );
    return new Map(rows.filter((r) => !isBookkeeping(str(r.name))).map((r) => [str(r.name), num(r.bytes)]));
  } catch {
    return null;
  }
}
