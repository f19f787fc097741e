/**
 * Hashing plaintext API keys inside Phase 2's write, in bounded memory. Before the write (the
 * lock held, the backup taken), each hashable key is read as bytes (never decoded, so no value
 * can trip the driver), hashed here, and its SHA-256 hex stored by rowid in a scratch table, a
 * page at a time. The phase's atomic write then runs ONE UPDATE from that table, proves every
 * hashed row got its hash, and drops the table: whatever the number of users, the journal
 * records three statements, not one per user, and no key value is ever bound into SQL text.
 */
import { createHash } from 'node:crypto';
import { BOOKKEEPING_PREFIX, guardStatement, releaseStatements, type Stmt } from '../db/index.js';
import { ExitCode, type Snapshot, UserError } from '../model/index.js';
import { notSha256Hex, quoteIdent, upperHexSql } from '../sql/index.js';
import type { Session } from './session.js';

const PREFIX = `${BOOKKEEPING_PREFIX}keyhash_`;
const PAGE = 2_000;
/** Two bound values per row; SQLite's older default limit is 999 variables a statement. */
const ROWS_PER_INSERT = 450;

/** The runs (in this process) that created their key hash table and have not dropped it yet. */
const created = new Set<string>();

export function keyHashTable(runId: string): string {
  return `${PREFIX}${runId}`;
}

/** Keys that can be hashed exactly: non-empty TEXT without a NUL byte that is not already a SHA-256 hex digest. */
export function hashableKeySql(column: string): string {
  const c = quoteIdent(column);
  return `typeof(${c}) = 'text' AND length(CAST(${c} AS BLOB)) > 0 AND instr(CAST(${c} AS BLOB), x'00') = 0 AND NOT ${upperHexSql(column)} AND ${notSha256Hex(column)}`;
}

export interface PreparedHashes {
  table: string;
  rows: number;
  /** How users' rows are addressed (rowid, or _rowid_ / oid when a column shadows it). */
  rowid: string;
}

/**
 * Fills the scratch table with (users rowid, sha256 hex) for every hashable key. `column` is
 * the key column as it is now (before the rename). Leftovers of killed runs are dropped first:
 * the caller holds the lock, so no other run can own them.
 */
export async function prepareKeyHashes(
  session: Session,
  snapshot: Snapshot,
  column: string,
  rowid: string,
  onRows?: (n: number) => void,
): Promise<PreparedHashes> {
  const table = keyHashTable(session.runId);
  for (const stale of snapshot.tables.filter((t) => t.name.startsWith(PREFIX))) {
    await session.db.execute(`DROP TABLE IF EXISTS ${quoteIdent(stale.name)}`);
  }
  await session.db.execute(`CREATE TABLE ${quoteIdent(table)} (id INTEGER PRIMARY KEY, hash TEXT NOT NULL)`);
  created.add(session.runId);
  let after: bigint | null = null;
  let rows = 0;
  for (;;) {
    const page = await session.db.query(
      `SELECT ${rowid} AS r, CAST(${quoteIdent(column)} AS BLOB) AS k FROM users WHERE ${after === null ? '' : `${rowid} > ? AND `}${hashableKeySql(column)} ORDER BY ${rowid} LIMIT ${PAGE}`,
      after === null ? [] : [after],
    );
    if (page.length === 0) break;
    const values: [bigint, string][] = page.map((row) => [BigInt(row.r as bigint | number), sha256OfBytes(row.k)]);
    const inserts: Stmt[] = [];
    for (let i = 0; i < values.length; i += ROWS_PER_INSERT) {
      const chunk = values.slice(i, i + ROWS_PER_INSERT);
      inserts.push({ sql: `INSERT INTO ${quoteIdent(table)} (id, hash) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, args: chunk.flat() });
    }
    await session.db.atomicWrite(inserts);
    rows += values.length;
    onRows?.(rows);
    after = values[values.length - 1][0];
    // Each page leaves native prepared statements that V8 frees only when it collects (memory.ts).
    releaseStatements();
    if (page.length < PAGE) break;
  }
  // A plaintext key whose hash another user already holds would give two users one credential.
  const clash = await session.db.query(`SELECT count(*) AS n FROM ${quoteIdent(table)} AS k JOIN users ON users.${quoteIdent(column)} = k.hash`);
  const clashes = Number(clash[0].n);
  if (clashes > 0) {
    await dropKeyHashes(session);
    throw new UserError(
      `${clashes} plaintext API key${clashes === 1 ? '' : 's'} hash${clashes === 1 ? 'es' : ''} to a value another user already holds as a hashed key: hashing would give two users one credential. Nothing was changed by this phase.`,
      {
        hint: 'Give those users new keys (or remove the duplicate accounts), then apply Phase 2 again; or use --keep-plaintext-keys.',
        exitCode: ExitCode.failed,
      },
    );
  }
  return { table, rows, rowid };
}

/** The statements Phase 2's write runs after the rename: one UPDATE, its proof, the cleanup. */
export function keyHashStatements(prepared: PreparedHashes, column: string): Stmt[] {
  const t = quoteIdent(prepared.table);
  const c = quoteIdent(column);
  return [
    { sql: `UPDATE users SET ${c} = (SELECT hash FROM ${t} WHERE ${t}.id = users.${prepared.rowid}) WHERE ${prepared.rowid} IN (SELECT id FROM ${t})` },
    // Fails the whole write unless every prepared row holds its hash now.
    guardStatement('keys', `(SELECT count(*) FROM users JOIN ${t} ON ${t}.id = users.${prepared.rowid} WHERE users.${c} = ${t}.hash) = ?`, t, [
      BigInt(prepared.rows),
    ]),
    { sql: `DROP TABLE ${t}` },
  ];
}

/** Removes this run's scratch table when the phase did not run (best effort; a later run removes leftovers). */
export async function dropKeyHashes(session: Session): Promise<void> {
  // Only a run that created its table drops it: one request fewer for every other run.
  if (!created.has(session.runId)) return;
  await session.db.execute(`DROP TABLE IF EXISTS ${quoteIdent(keyHashTable(session.runId))}`);
  created.delete(session.runId);
}

/** The phase's own write dropped the table as it committed: nothing is left to drop. */
export function keyHashesCommitted(session: Session): void {
  created.delete(session.runId);
}

function sha256OfBytes(value: unknown): string {
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : ArrayBuffer.isView(value)
        ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        : Buffer.from(String(value));
  return createHash('sha256').update(bytes).digest('hex');
}
