/**
 * Content hashes that prove two databases hold the same rows. Each table's rows are read in a
 * stable order (rowid, or the first column for WITHOUT ROWID tables) and every value is fed to
 * one SHA-256 with its storage class and length, so equal digests mean equal rows in equal
 * order. The rowid itself is not hashed: VACUUM may renumber the rowids of tables without an
 * INTEGER PRIMARY KEY, but it keeps their order.
 */
import { createHash, type Hash } from 'node:crypto';
import { type Db, hasRowid, rowBatches, TextBytes } from '../db/index.js';
import type { Snapshot, TableInfo } from '../model/index.js';

export interface TableDigest {
  rows: number;
  sha256: string;
}

export interface ContentDigest {
  /** 'records' (record-digest.ts: rowids and record bytes, local files); absent: values as here. */
  kind?: 'records';
  tables: Record<string, TableDigest>;
  /** One hash over all table digests (sorted by name). */
  sha256: string;
  /**
   * A remote database's per-table aggregates (aggregates.ts), computed by the server in one
   * request when the digest was measured: what a later `verify` compares without reading every
   * row over the network again (`--thorough` compares the digest itself).
   */
  aggregates?: Record<string, string>;
}

/** Tables whose rows are data: plain tables and sqlite_sequence (not FTS shadows, not bookkeeping). */
export function hashedTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter((t) => t.kind === 'plain' || t.name === 'sqlite_sequence');
}

/**
 * Our own tables a backup carries (the journal, archives), the lock table aside: their rows are
 * what rollback runs, so a manifest records their digest too and restore checks it.
 */
export function bookkeepingTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter((t) => t.kind === 'bookkeeping' && t.name.toLowerCase() !== '_schema_wizard_lock');
}

/** How one table of a digest differs from another digest's. */
export interface DigestDifference {
  table: string;
  is: 'missing' | 'added' | 'rows' | 'content';
  expected?: TableDigest;
  actual?: TableDigest;
}

/** Every table that differs between two digests: expected's tables in order, then those only in actual. */
export function compareDigests(expected: ContentDigest, actual: ContentDigest): DigestDifference[] {
  const out: DigestDifference[] = [];
  for (const [table, d] of Object.entries(expected.tables)) {
    const got = actual.tables[table];
    if (!got) out.push({ table, is: 'missing', expected: d });
    else if (got.rows !== d.rows) out.push({ table, is: 'rows', expected: d, actual: got });
    else if (got.sha256 !== d.sha256) out.push({ table, is: 'content', expected: d, actual: got });
  }
  for (const [table, got] of Object.entries(actual.tables)) if (!expected.tables[table]) out.push({ table, is: 'added', actual: got });
  return out;
}

/**
 * Our own tables' digest: their rows (the lock table's aside) and, under BOOKKEEPING_DDL, their
 * CREATE texts. What a .sql manifest records and what restore measures on the loaded copy.
 */
export async function bookkeepingDigest(db: Db, snapshot: Snapshot): Promise<ContentDigest> {
  const digest = await digestTables(db, bookkeepingTables(snapshot));
  digest.tables[BOOKKEEPING_DDL] = bookkeepingDdlDigest(snapshot);
  digest.sha256 = combine(digest.tables);
  return digest;
}

/** The pseudo-table under which a bookkeeping digest records our tables' CREATE texts (the lock table's too). */
export const BOOKKEEPING_DDL = '(schema of _schema_wizard_* tables)';

/** One hash over our own tables' CREATE texts: an edited one (a DEFAULT, a generated column) changes what their rows mean. */
export function bookkeepingDdlDigest(snapshot: Snapshot): TableDigest {
  const own = snapshot.tables.filter((t) => t.kind === 'bookkeeping').sort((a, b) => a.name.localeCompare(b.name));
  const h = createHash('sha256');
  for (const t of own) h.update(`${t.name}\u0000${t.sql ?? ''}\n`);
  return { rows: own.length, sha256: h.digest('hex') };
}

export async function digestDatabase(db: Db, snapshot: Snapshot, onRows?: (rows: number) => void): Promise<ContentDigest> {
  return digestTables(db, hashedTables(snapshot), onRows);
}

export async function digestTables(db: Db, list: TableInfo[], onRows?: (rows: number) => void): Promise<ContentDigest> {
  const tables: Record<string, TableDigest> = {};
  for (const table of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
    tables[table.name] = await digestTable(db, table, onRows);
  }
  return { tables, sha256: combine(tables) };
}

export function combine(tables: Record<string, TableDigest>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(tables).sort()) h.update(`${name}\u0000${tables[name].rows}\u0000${tables[name].sha256}\n`);
  return h.digest('hex');
}

export async function digestTable(db: Db, table: TableInfo, onRows?: (rows: number) => void): Promise<TableDigest> {
  const hasher = new TableHasher();
  const skip = hasRowid(table) ? 1 : 0;
  for await (const batch of rowBatches(db, table)) {
    for (const row of batch) hasher.add(row, skip);
    onRows?.(batch.length);
  }
  return hasher.digest();
}

/** Accumulates one table's digest row by row, in read order (shared by hashing and the dump writer). */
export class TableHasher {
  private readonly hash: Hash = createHash('sha256');
  rows = 0;
  /** Hashes row[from..]: callers skip the rowid column. */
  add(row: unknown[], from = 0): void {
    for (let i = from; i < row.length; i++) encodeValue(this.hash, row[i]);
    this.hash.update('\n');
    this.rows++;
  }
  digest(): TableDigest {
    return { rows: this.rows, sha256: this.hash.digest('hex') };
  }
}

/** Canonical encoding: a storage-class tag, a length where needed, the value's bytes. */
function encodeValue(h: Hash, value: unknown): void {
  if (value === null || value === undefined) {
    h.update('n;');
  } else if (typeof value === 'bigint') {
    h.update(`i${value.toString()};`);
  } else if (typeof value === 'number') {
    // Integers arrive as BigInt (safe-integer mode), so a JS number is always a REAL.
    h.update(`r${Object.is(value, -0) ? '-0' : value.toString()};`);
  } else if (value instanceof TextBytes) {
    // The same bytes as a decoded string would give: digests do not depend on how TEXT was read.
    h.update(`t${value.bytes.byteLength}:`);
    h.update(value.bytes);
  } else if (typeof value === 'string') {
    h.update(`t${Buffer.byteLength(value)}:`);
    h.update(value);
  } else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    h.update(`b${bytes.length}:`);
    h.update(bytes);
  } else {
    h.update(`?${String(value)};`);
  }
}

/**
 * One hash over the schema's DDL (tables, indexes, triggers, views, by name; FTS shadow tables,
 * SQLite's internals and our bookkeeping aside): a backup whose schema was altered after the
 * fact (a trigger added, an index dropped) no longer matches its manifest, checksum or not.
 */
export function schemaDigest(snapshot: Snapshot): string {
  const objects = [
    ...snapshot.tables.filter((t) => t.kind === 'plain' || t.kind === 'virtual').map((t) => ['table', t.name, t.sql]),
    // Triggers and indexes on our bookkeeping tables count too: a backup never has any, and one
    // planted there would fire when the next run takes its lock.
    ...snapshot.indexes.filter((i) => i.sql !== null).map((i) => ['index', i.name, i.sql]),
    ...snapshot.triggers.map((t) => ['trigger', t.name, t.sql]),
    ...snapshot.views.map((v) => ['view', v.name, v.sql]),
  ].sort((a, b) => `${a[0]}\u0000${a[1]}`.localeCompare(`${b[0]}\u0000${b[1]}`));
  const h = createHash('sha256');
  for (const [type, name, sql] of objects) h.update(`${type}\u0000${name}\u0000${sql ?? ''}\n`);
  return h.digest('hex');
}
