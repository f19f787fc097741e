/**
 * Content hashes that prove two databases hold the same rows. Each row is encoded canonically
 * (storage class + value) and hashed; a table's digest combines its row hashes by addition
 * modulo 2^256, so it does not depend on row order or on rowids that VACUUM or a dump may
 * renumber. Rows are read with keyset pagination, so memory stays bounded at any table size.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import { keepHeapBounded } from './memory.js';
import { quoteIdent } from './sql-text.js';
import type { Snapshot, TableInfo } from './snapshot.js';

export interface TableDigest {
  rows: number;
  sha256: string;
}

export interface ContentDigest {
  tables: Record<string, TableDigest>;
  /** One hash over all table digests (sorted by name). */
  sha256: string;
}

const MOD = 1n << 256n;
const PAGE = 2_000;

/** Tables whose rows are data: plain tables and sqlite_sequence (not FTS shadows, not bookkeeping). */
export function hashedTables(snapshot: Snapshot): TableInfo[] {
  return snapshot.tables.filter((t) => t.kind === 'plain' || t.name === 'sqlite_sequence');
}

export async function digestDatabase(db: Db, snapshot: Snapshot, onRows?: (rows: number) => void): Promise<ContentDigest> {
  const tables: Record<string, TableDigest> = {};
  for (const table of hashedTables(snapshot).sort((a, b) => a.name.localeCompare(b.name))) {
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
  const hasher = new TableHasher(table.columns);
  for await (const page of readPages(db, table)) {
    for (const row of page) hasher.add(row);
    onRows?.(page.length);
  }
  return hasher.digest();
}

/** About this many bytes of row data per page: wide rows (1536-d embeddings) get short pages. */
const PAGE_BYTES = 4 << 20;

/**
 * Reads a table page by page with keyset pagination over rowid (WITHOUT ROWID tables: by
 * primary key order with OFFSET), so memory is bounded by one page whatever the table size. The
 * page length adapts to the rows' size, keeping a page near PAGE_BYTES. Rows carry their rowid
 * as `_sw_rowid_` where the table has one.
 */
export async function* readPages(db: Db, table: TableInfo, firstPage = 500): AsyncGenerator<Record<string, unknown>[]> {
  const cols = table.columns.map(quoteIdent).join(', ') || '*';
  const name = quoteIdent(table.name);
  let pageSize = firstPage;
  const adapt = (page: Record<string, unknown>[]) => {
    keepHeapBounded();
    const bytes = approximateBytes(page);
    const perRow = Math.max(1, bytes / Math.max(1, page.length));
    pageSize = Math.max(16, Math.min(PAGE, Math.floor(PAGE_BYTES / perRow)));
  };
  if (hasRowid(table)) {
    let after: unknown = null;
    for (;;) {
      const limit = pageSize;
      const page = await db.query(
        `SELECT rowid AS "_sw_rowid_", ${cols} FROM ${name} ${after === null ? '' : 'WHERE rowid > ?'} ORDER BY rowid LIMIT ${limit}`,
        after === null ? [] : [after as bigint],
      );
      if (page.length > 0) yield page;
      if (page.length < limit) return;
      after = page[page.length - 1]._sw_rowid_;
      adapt(page);
    }
  }
  for (let offset = 0; ; ) {
    const limit = pageSize;
    const page = await db.query(`SELECT ${cols} FROM ${name} ORDER BY 1 LIMIT ${limit} OFFSET ${offset}`);
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    offset += page.length;
    adapt(page);
  }
}

function approximateBytes(page: Record<string, unknown>[]): number {
  let bytes = 0;
  for (const row of page) {
    for (const value of Object.values(row)) {
      if (typeof value === 'string') bytes += value.length;
      else if (value instanceof ArrayBuffer) bytes += value.byteLength;
      else bytes += 8;
    }
  }
  return bytes;
}

export function hasRowid(table: TableInfo): boolean {
  return !/without\s+rowid/i.test(table.sql ?? '');
}

/** Accumulates one table's digest row by row (shared by hashing and the SQL dump writer). */
export class TableHasher {
  private sum = 0n;
  rows = 0;
  constructor(private readonly columns: string[]) {}
  add(row: Record<string, unknown>): void {
    this.sum = (this.sum + rowHash(row, this.columns)) % MOD;
    this.rows++;
  }
  digest(): TableDigest {
    return { rows: this.rows, sha256: createHash('sha256').update(`${this.rows}:${this.sum.toString(16)}`).digest('hex') };
  }
}

function rowHash(row: Record<string, unknown>, columns: string[]): bigint {
  const h = createHash('sha256');
  for (const column of columns) encodeValue(h, row[column]);
  return BigInt(`0x${h.digest('hex')}`);
}

/** Canonical encoding: a storage-class tag, a length where needed, the value's bytes. */
function encodeValue(h: ReturnType<typeof createHash>, value: unknown): void {
  if (value === null || value === undefined) {
    h.update('n;');
  } else if (typeof value === 'bigint') {
    h.update(`i${value.toString()};`);
  } else if (typeof value === 'number') {
    // With intMode 'bigint' a JS number is always a REAL.
    h.update(`r${Object.is(value, -0) ? '-0' : value.toString()};`);
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
