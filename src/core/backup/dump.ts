/**
 * A logical SQL dump streamed through the client: what works against a remote server, which
 * refuses VACUUM. Order: tables, rows, sqlite_sequence, FTS tables (rebuilt from their content
 * table, or their rows where they own them), indexes, triggers, views. FTS shadow tables are
 * never dumped as plain tables. Values are exact: integers as integers, reals with a decimal
 * point or exponent, text quoted, BLOBs as hex. It loads in stock sqlite3 and through restore.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { type Db, hasRowid, rowBatches, TextBytes } from '../db/index.js';
import { BOOKKEEPING_DDL, TableHasher, bookkeepingDdlDigest, combine, type ContentDigest, type TableDigest } from '../proof/index.js';
import { quoteIdent, quoteText, realLiteral } from '../sql/index.js';
import type { Snapshot, TableInfo } from '../model/index.js';
import { LOCK_TABLE } from '../engine/index.js';

export const DUMP_HEADER = '-- schema-wizard SQL dump';

export interface DumpResult {
  /** Digest of the rows written, computed from the very rows read for the dump. */
  digest: ContentDigest;
  /** The same for our own tables (journal, archives): the manifest records it, restore checks it. */
  bookkeeping: ContentDigest;
  rows: number;
}

export async function writeDump(db: Db, snapshot: Snapshot, out: Writable, onRows: (rows: number) => void, now = new Date()): Promise<DumpResult> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const plain = snapshot.tables.filter((t) => (t.kind === 'plain' || t.kind === 'bookkeeping') && t.sql);
  const virtual = snapshot.tables.filter((t) => t.kind === 'virtual' && t.sql);
  const sequence = snapshot.tables.find((t) => t.name === 'sqlite_sequence');

  await write(`${DUMP_HEADER} (${now.toISOString()})\nPRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n`);
  for (const t of plain) await write(`${t.sql};\n`);

  const tables: Record<string, TableDigest> = {};
  const ours: Record<string, TableDigest> = {};
  let total = 0;
  for (const t of plain) {
    // A lock row belongs to the run that took the backup, never to a restored database.
    if (t.name === LOCK_TABLE) continue;
    const digest = await dumpRows(db, t, write, onRows);
    if (t.kind === 'plain') tables[t.name] = digest;
    else ours[t.name] = digest;
    total += digest.rows;
  }
  if (sequence) {
    const hasher = new TableHasher();
    await write('DELETE FROM sqlite_sequence;\n');
    const seq = { ...sequence, columns: ['name', 'seq'] };
    for await (const batch of rowBatches(db, seq)) {
      for (const row of batch) {
        hasher.add(row, 1);
        await write(`INSERT INTO sqlite_sequence (name, seq) VALUES (${literal(row[1])}, ${literal(row[2])});\n`);
      }
    }
    tables.sqlite_sequence = hasher.digest();
  }
  for (const v of virtual) {
    await write(`${v.sql};\n`);
    if (isExternalContentFts(v.sql!)) {
      await write(`INSERT INTO ${quoteIdent(v.name)}(${quoteIdent(v.name)}) VALUES('rebuild');\n`);
    } else {
      // The FTS table owns its text (no content= table): its rows must travel with the dump.
      await dumpRows(db, v, write, onRows);
    }
  }
  for (const i of snapshot.indexes) if (i.sql) await write(`${i.sql};\n`);
  for (const t of snapshot.triggers) if (t.sql) await write(`${t.sql};\n`);
  for (const v of snapshot.views) if (v.sql) await write(`${v.sql};\n`);
  await write('COMMIT;\n');
  ours[BOOKKEEPING_DDL] = bookkeepingDdlDigest(snapshot);
  return { digest: { tables, sha256: combine(tables) }, bookkeeping: { tables: ours, sha256: combine(ours) }, rows: total };
}

async function dumpRows(db: Db, table: TableInfo, write: (text: string) => Promise<void>, onRows: (n: number) => void): Promise<TableDigest> {
  const hasher = new TableHasher();
  const withRowid = hasRowid(table);
  const skip = withRowid ? 1 : 0;
  const head = `INSERT INTO ${quoteIdent(table.name)} (${[withRowid ? 'rowid' : null, ...table.columns.map(quoteIdent)].filter(Boolean).join(', ')}) VALUES (`;
  for await (const batch of rowBatches(db, table)) {
    let chunk = '';
    for (const row of batch) {
      hasher.add(row, skip);
      if (row.some(isLarge)) {
        await write(chunk);
        chunk = '';
        await writeLargeRow(row, head, write);
      } else {
        chunk += `${head}${row.map(literal).join(', ')});\n`;
      }
    }
    await write(chunk);
    onRows(batch.length);
  }
  return hasher.digest();
}

/**
 * Values above this many bytes travel in pieces: as one literal a 400 MB BLOB would be an
 * 800 MB hex string, beyond what a JS string can hold, on the way out and on the way back in.
 */
export const LARGE_VALUE_BYTES = 8 << 20;
export const PIECES_TABLE = '_schema_wizard_pieces';

function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof TextBytes) return value.bytes;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

function isLarge(value: unknown): boolean {
  return (bytesOf(value)?.byteLength ?? 0) > LARGE_VALUE_BYTES || (typeof value === 'string' && value.length > LARGE_VALUE_BYTES / 4);
}

/**
 * A row with large values: each one is written as numbered hex pieces into a scratch table,
 * and the row's INSERT joins them back (group_concat over the pieces in order, cast to the
 * value's storage class). The scratch table is a plain one, not TEMP: a remote load may send
 * each batch on its own connection. Loading builds the value once; stock sqlite3 loads it too.
 */
async function writeLargeRow(row: unknown[], head: string, write: (text: string) => Promise<void>): Promise<void> {
  await write(`CREATE TABLE IF NOT EXISTS ${PIECES_TABLE} (v INTEGER NOT NULL, n INTEGER NOT NULL, piece BLOB NOT NULL, PRIMARY KEY (v, n));\n`);
  const literals: string[] = [];
  for (let v = 0; v < row.length; v++) {
    const value = row[v];
    if (!isLarge(value)) {
      literals.push(literal(value));
      continue;
    }
    const bytes = bytesOf(value) ?? Buffer.from(String(value), 'utf8');
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let n = 0, at = 0; at < buffer.length; n++, at += LARGE_VALUE_BYTES) {
      await write(`INSERT INTO ${PIECES_TABLE} (v, n, piece) VALUES (${v}, ${n}, X'${buffer.subarray(at, at + LARGE_VALUE_BYTES).toString('hex')}');\n`);
    }
    const storage = value instanceof TextBytes || typeof value === 'string' ? 'TEXT' : 'BLOB';
    literals.push(`(SELECT CAST(group_concat(piece, '') AS ${storage}) FROM (SELECT piece FROM ${PIECES_TABLE} WHERE v = ${v} ORDER BY n))`);
  }
  await write(`${head}${literals.join(', ')});\nDROP TABLE ${PIECES_TABLE};\n`);
}

export function isExternalContentFts(sql: string): boolean {
  return /using\s+fts[345]/i.test(sql) && /content\s*=\s*'[^']+'/i.test(sql);
}

/** A SQL literal that reads back as the same value and storage class. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return realLiteral(value);
  if (value instanceof TextBytes) {
    // Text that is not valid UTF-8, or holds a NUL (which cannot live in a SQL string literal), travels as hex cast to TEXT.
    const text = value.decode();
    return text === null || text.includes('\u0000')
      ? `CAST(X'${Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength).toString('hex')}' AS TEXT)`
      : quoteText(text);
  }
  if (typeof value === 'string') {
    // A NUL cannot live inside a SQL string literal; such text travels as hex cast to TEXT.
    return value.includes('\u0000') ? `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)` : quoteText(value);
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `X'${bytes.toString('hex')}'`;
  }
  return quoteText(String(value));
}
