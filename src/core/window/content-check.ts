/**
 * Just before each phase: has anything written to the database since the backup was taken (or,
 * with --no-backup, since the content was measured)? Rows written then are rows a restore from
 * that backup would lose, so the window stops and asks. Measured in the kind the backup
 * recorded; tables the migration itself changes (learned_patterns once archived, the counter
 * table sqlite_sequence) are not compared.
 */
import type { ContentDigest } from '../content-hash.js';
import { measureLike } from '../content-proof.js';
import type { Db } from '../db.js';
import { takeSnapshot } from '../snapshot.js';

/** One line per table that differs, e.g. "memories: 450 rows now, 400 in the backup". */
export async function changesSince(db: Db, before: ContentDigest): Promise<string[]> {
  const snapshot = await takeSnapshot(db);
  const now = await measureLike(db, snapshot, before);
  const changes: string[] = [];
  for (const [table, then] of Object.entries(before.tables)) {
    const current = now.tables[table];
    if (table === 'sqlite_sequence' || !current) continue;
    if (current.rows !== then.rows) changes.push(`${table}: ${current.rows} rows now, ${then.rows} in the backup`);
    else if (current.sha256 !== then.sha256) changes.push(`${table}: rows changed (${current.rows} rows, same count)`);
  }
  return changes;
}
