/**
 * The content proof of a local database file, read from its b-tree pages instead of its values.
 * Each table's rows are walked in key order through `sqlite_dbpage` inside one read transaction
 * (so a WAL file is read as of one snapshot), and every row's rowid and record bytes (SQLite's
 * own encoding of the values, overflow pages included) are fed to one SHA-256.
 *
 * Why not read the values: SQLite builds a whole value in memory on any read of it (substr()
 * too), and the driver copies it again into JS, so one 400 MB value costs more than 800 MB of
 * RSS. Pages are 4-64 KB whatever the rows hold, and nothing is decoded, which is also faster.
 *
 * Two digests of this kind are equal exactly when the tables hold the same rows with the same
 * rowids and the same record bytes. They are not comparable with the value digests of
 * content-hash.ts (remote databases, SQL dumps): a digest says which kind it is.
 */
import { createHash, type Hash } from 'node:crypto';
import { openExistingFile, sameName } from '../db/index.js';
import { codeOf, ExitCode, UserError } from '../model/index.js';
import { combine, type ContentDigest, type TableDigest } from './content-hash.js';

export const RECORDS = 'records' as const;

/** Reads one page; the only access to the file. */
type PageReader = (pgno: number) => Buffer;

interface Geometry {
  /** Usable bytes per page (page size minus the reserved tail). */
  usable: number;
  pageCount: number;
}

/** The record digest of the named tables (exact names as in sqlite_schema), under one read transaction. */
export function recordDigestOfFile(file: string, tableNames: string[], onRows?: (rows: number) => void): ContentDigest {
  return digestTrees(file, (roots) => tableNames.map((name) => [name, roots.tables.get(name)]), onRows);
}

/**
 * Every b-tree of the file (tables, indexes, FTS shadow tables, bookkeeping) except those of
 * `exceptTable` and its indexes: what a backup's manifest records so that a restore can tell
 * that not one entry of any of them was altered afterwards (an index entry, a journal row).
 */
export function allTreesDigestOfFile(file: string, exceptTable: string, onRows?: (rows: number) => void): ContentDigest {
  return digestTrees(file, (roots) => [...roots.all].filter(([, r]) => !sameName(r.table, exceptTable)).map(([name, r]) => [name, r.root]), onRows);
}

interface Roots {
  tables: Map<string, number>;
  all: Map<string, { root: number; table: string }>;
}

function digestTrees(file: string, pick: (roots: Roots) => [string, number | undefined][], onRows?: (rows: number) => void): ContentDigest {
  const conn = openExistingFile(file);
  try {
    conn.defaultSafeIntegers(true);
    conn.exec('BEGIN');
    try {
      const roots: Roots = { tables: new Map(), all: new Map() };
      for (const row of conn.prepare('SELECT type, name, tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0').raw(true).all() as unknown[][]) {
        if (String(row[0]) === 'table') roots.tables.set(String(row[1]), Number(row[3]));
        roots.all.set(String(row[1]), { root: Number(row[3]), table: String(row[2]) });
      }
      // The schema table itself (page 1): every CREATE text, our own tables' included, so a
      // backup whose DDL was edited (a column given a DEFAULT, a generated column) does not match.
      roots.all.set('sqlite_schema', { root: 1, table: 'sqlite_schema' });
      // (The driver's pluck() does not apply to get(): raw rows, first cell.)
      const page = conn.prepare('SELECT data FROM sqlite_dbpage WHERE pgno = ?').raw(true);
      const read: PageReader = (pgno) => {
        const data = (page.get(pgno) as unknown[] | undefined)?.[0];
        if (!Buffer.isBuffer(data)) throw corrupt(file, `page ${pgno} is missing`);
        return data;
      };
      const pageCount = Number((conn.prepare('PRAGMA page_count').raw(true).get() as unknown[])[0]);
      const geometry = geometryOf(read(1), pageCount);
      const tables: Record<string, TableDigest> = {};
      for (const [name, root] of pick(roots).sort((a, b) => a[0].localeCompare(b[0]))) {
        if (!root) throw corrupt(file, `table ${name} has no b-tree`);
        try {
          tables[name] = digestTree(read, geometry, root, file, onRows);
        } catch (error) {
          // A damaged page sends the walk past its bytes (a RangeError, an undefined varint): said as
          // damage. A driver error (I/O, out of memory) carries its code and is said as itself.
          if (error instanceof UserError || codeOf(error)) throw error;
          throw corrupt(file, `a b-tree page of ${name} cannot be read (${error instanceof Error ? error.message : String(error)})`);
        }
      }
      return { kind: RECORDS, tables, sha256: combine(tables) };
    } finally {
      conn.exec('ROLLBACK');
    }
  } finally {
    conn.close();
  }
}

function geometryOf(header: Buffer, pageCount: number): Geometry {
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65_536 : raw;
  return { usable: pageSize - header[20], pageCount };
}

/** One table's rows in key order: a rowid table (leaf 0x0d) or a WITHOUT ROWID table (index b-tree). */
function digestTree(read: PageReader, geometry: Geometry, root: number, file: string, onRows?: (rows: number) => void): TableDigest {
  const hash = createHash('sha256');
  const head = Buffer.alloc(12);
  let rows = 0;
  let sinceReport = 0;
  const seen = new Set<number>();
  const visit = (pgno: number, depth: number): void => {
    if (pgno < 1 || pgno > geometry.pageCount || seen.has(pgno) || depth > 64) throw corrupt(file, `b-tree page ${pgno} is out of place`);
    seen.add(pgno);
    const data = read(pgno);
    const at = pgno === 1 ? 100 : 0;
    const flag = data[at];
    const cells = data.readUInt16BE(at + 3);
    const interior = flag === 0x02 || flag === 0x05;
    const pointers = at + (interior ? 12 : 8);
    if (flag !== 0x02 && flag !== 0x05 && flag !== 0x0a && flag !== 0x0d) throw corrupt(file, `page ${pgno} is not a b-tree page`);
    if (pointers + 2 * cells > data.length) throw corrupt(file, `page ${pgno} claims ${cells} cells`);
    for (let i = 0; i < cells; i++) {
      let p = data.readUInt16BE(pointers + 2 * i);
      if (interior) {
        visit(data.readUInt32BE(p), depth + 1);
        p += 4;
        // A table's interior cells hold only keys; an index's hold entries of their own.
        if (flag === 0x05) continue;
      }
      const [size, afterSize] = varint(data, p);
      let rowid = 0n;
      p = afterSize;
      if (flag === 0x0d) [rowid, p] = varintBig(data, p);
      head.writeBigInt64BE(rowid, 0);
      head.writeUInt32BE(size, 8);
      hash.update(head);
      hashPayload(hash, read, data, p, size, flag === 0x0d, geometry, file);
      rows++;
      if (++sinceReport >= 1_000) {
        onRows?.(sinceReport);
        sinceReport = 0;
      }
    }
    if (interior) visit(data.readUInt32BE(at + 8), depth + 1);
  };
  visit(root, 0);
  if (sinceReport > 0) onRows?.(sinceReport);
  return { rows, sha256: hash.digest('hex') };
}

/** The cell's local bytes, then its overflow chain, a page at a time (file format section 1.6). */
function hashPayload(hash: Hash, read: PageReader, data: Buffer, at: number, size: number, tableLeaf: boolean, g: Geometry, file: string): void {
  const local = localSize(size, tableLeaf, g.usable);
  hash.update(data.subarray(at, at + local));
  let left = size - local;
  if (left === 0) return;
  let next = data.readUInt32BE(at + local);
  let hops = 0;
  while (left > 0) {
    if (next < 2 || next > g.pageCount || ++hops > g.pageCount) throw corrupt(file, `an overflow chain leaves the file at page ${next}`);
    const page = read(next);
    const take = Math.min(left, g.usable - 4);
    hash.update(page.subarray(4, 4 + take));
    left -= take;
    next = page.readUInt32BE(0);
  }
}

function localSize(size: number, tableLeaf: boolean, usable: number): number {
  const max = tableLeaf ? usable - 35 : Math.floor(((usable - 12) * 64) / 255) - 23;
  if (size <= max) return size;
  const min = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = min + ((size - min) % (usable - 4));
  return k <= max ? k : min;
}

/** A 1-9 byte big-endian varint that fits a payload size. */
function varint(data: Buffer, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = data[at + i];
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, at + i + 1];
  }
  return [value * 256 + data[at + 8], at + 9];
}

/** A rowid: a 64-bit two's-complement varint. */
function varintBig(data: Buffer, at: number): [bigint, number] {
  let value = 0n;
  for (let i = 0; i < 8; i++) {
    const byte = data[at + i];
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (byte < 0x80) return [BigInt.asIntN(64, value), at + i + 1];
  }
  return [BigInt.asIntN(64, (value << 8n) | BigInt(data[at + 8])), at + 9];
}

function corrupt(file: string, detail: string): UserError {
  return new UserError(`${file} is damaged: ${detail}.`, {
    hint: 'Run PRAGMA integrity_check on it; restore from a backup if it fails.',
    exitCode: ExitCode.failed,
  });
}
