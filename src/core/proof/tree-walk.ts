/**
 * The walk under a record digest (record-digest.ts): each table's b-tree in key order, every
 * row's rowid and record bytes (overflow pages included) fed to one SHA-256 per table. Pure: it
 * reads pages only through the reader it is given, so the same walk runs in this process on the
 * engine's pages (`sqlite_dbpage`) and in a child process on the file's bytes (digest-child.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { codeOf, ExitCode, UserError } from '../model/index.js';
import type { TableDigest } from './content-hash.js';

/**
 * Reads one page; the only access to the file. Each read returns a buffer of its own, which the
 * walk hands back to `release` once it is done with it (a reader may reuse it: allocating a
 * buffer per page costs a third of a walk).
 */
export interface PageReader {
  read(pgno: number): Buffer;
  release?(page: Buffer): void;
}

export interface Geometry {
  /** Usable bytes per page (page size minus the reserved tail). */
  usable: number;
  pageCount: number;
}

/** Page 1's header (its first 100 bytes at least) and the page count. */
export function geometryOf(header: Buffer, pageCount: number): Geometry {
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65_536 : raw;
  return { usable: pageSize - header[20], pageCount };
}

/** The digest of each named b-tree (by its root page), in the order given. */
export function digestTrees(
  read: PageReader,
  geometry: Geometry,
  trees: [string, number][],
  file: string,
  onRows?: (rows: number) => void,
): Record<string, TableDigest> {
  // No prototype: a table named __proto__ is a key like any other.
  const tables = Object.create(null) as Record<string, TableDigest>;
  for (const [name, root] of trees) {
    try {
      tables[name] = digestTree(read, geometry, root, file, onRows);
    } catch (error) {
      // A damaged page sends the walk past its bytes (a RangeError, an undefined varint): said as
      // damage. A driver error (I/O, out of memory) carries its code and is said as itself.
      // (Node's own buffer errors carry ERR_ codes: those are the walk running off a damaged page.)
      const code = codeOf(error);
      if (error instanceof UserError || (code && !String(code).startsWith('ERR_'))) throw error;
      throw damaged(file, `a b-tree page of ${name} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return tables;
}

/** One table's rows in key order: a rowid table (leaf 0x0d) or a WITHOUT ROWID table (index b-tree). */
function digestTree(read: PageReader, geometry: Geometry, root: number, file: string, onRows?: (rows: number) => void): TableDigest {
  const hash = createHash('sha256');
  const head = Buffer.alloc(12);
  let rows = 0;
  let sinceReport = 0;
  const seen = new Set<number>();
  const visit = (pgno: number, depth: number): void => {
    if (pgno < 1 || pgno > geometry.pageCount || seen.has(pgno) || depth > 64) throw damaged(file, `b-tree page ${pgno} is out of place`);
    seen.add(pgno);
    const data = read.read(pgno);
    const at = pgno === 1 ? 100 : 0;
    const flag = data[at];
    const cells = data.readUInt16BE(at + 3);
    const interior = flag === 0x02 || flag === 0x05;
    const pointers = at + (interior ? 12 : 8);
    if (flag !== 0x02 && flag !== 0x05 && flag !== 0x0a && flag !== 0x0d) throw damaged(file, `page ${pgno} is not a b-tree page`);
    if (pointers + 2 * cells > data.length) throw damaged(file, `page ${pgno} claims ${cells} cells`);
    for (let i = 0; i < cells; i++) {
      let p = data.readUInt16BE(pointers + 2 * i);
      if (p < pointers + 2 * cells || p >= geometry.usable) throw damaged(file, `a cell of page ${pgno} points outside the page`);
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
      hashPayload(hash, read, data, p, size, flag === 0x0d, geometry, file, pgno);
      rows++;
      if (++sinceReport >= 1_000) {
        onRows?.(sinceReport);
        sinceReport = 0;
      }
    }
    if (interior) visit(data.readUInt32BE(at + 8), depth + 1);
    read.release?.(data);
  };
  visit(root, 0);
  if (sinceReport > 0) onRows?.(sinceReport);
  return { rows, sha256: hash.digest('hex') };
}

/** The cell's local bytes, then its overflow chain, a page at a time (file format section 1.6). */
function hashPayload(hash: Hash, read: PageReader, data: Buffer, at: number, size: number, tableLeaf: boolean, g: Geometry, file: string, pgno: number): void {
  const local = localSize(size, tableLeaf, g.usable);
  const overflows = size > local;
  // A cell whose bytes run past the page (a damaged size or pointer) is damage, never a shorter slice hashed.
  if (at + local + (overflows ? 4 : 0) > g.usable) throw damaged(file, `a cell of page ${pgno} runs past the page`);
  hash.update(data.subarray(at, at + local));
  let left = size - local;
  if (left === 0) return;
  let next = data.readUInt32BE(at + local);
  let hops = 0;
  while (left > 0) {
    if (next < 2 || next > g.pageCount || ++hops > g.pageCount) throw damaged(file, `an overflow chain leaves the file at page ${next}`);
    const page = read.read(next);
    const take = Math.min(left, g.usable - 4);
    hash.update(page.subarray(4, 4 + take));
    left -= take;
    next = page.readUInt32BE(0);
    read.release?.(page);
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

export function damaged(file: string, detail: string): UserError {
  return new UserError(`${file} is damaged: ${detail}.`, {
    hint: 'Run PRAGMA integrity_check on it; restore from a backup if it fails.',
    exitCode: ExitCode.failed,
  });
}
