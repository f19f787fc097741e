/**
 * A `.db` backup at file-copy speed: every page of the source, read through the engine
 * (`sqlite_dbpage`) inside one read transaction, written to the copy and hashed as it streams.
 * The read transaction is the consistency: in rollback-journal mode no writer can commit while
 * it is open, and in WAL mode it reads one snapshot (the WAL's committed frames included), so
 * the copy is the database as of one instant whichever mode it runs in. No value is decoded, so
 * memory stays a few pages whatever the rows hold (VACUUM INTO and row hashing read each value
 * whole).
 *
 * Synchronous native work: it runs in the backup worker (backup-worker.ts), off the thread
 * that paints the screen.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import Database from 'libsql';
import { openExistingFile } from '../db/index.js';
import { ExitCode, UserError } from '../model/index.js';

export interface PageCopy {
  /** SHA-256 of the bytes written (what the .sha256 file and the manifest record). */
  sha256: string;
  bytes: number;
  pages: number;
}

/** Bytes gathered before one write. */
const CHUNK_BYTES = 4 << 20;

export function copyPages(source: string, dest: string, onPages?: (done: number, total: number) => void): PageCopy {
  const conn = openExistingFile(source);
  const fd = fs.openSync(dest, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    conn.exec('BEGIN');
    try {
      // The first read starts the transaction: page_count and the pages below see one state.
      conn.prepare('SELECT count(*) FROM sqlite_schema').raw(true).get();
      const total = Number((conn.prepare('PRAGMA page_count').raw(true).get() as unknown[])[0]);
      const hash = createHash('sha256');
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let pages = 0;
      let bytes = 0;
      const flush = () => {
        const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
        hash.update(chunk);
        for (let off = 0; off < chunk.length;) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        bytes += chunk.length;
        pending = [];
        pendingBytes = 0;
        onPages?.(pages, total);
      };
      for (const row of conn.prepare('SELECT pgno, data FROM sqlite_dbpage').raw(true).iterate() as Iterable<unknown[]>) {
        const pgno = Number(row[0]);
        let data = row[1] as Buffer;
        if (pgno !== pages + 1 || !Buffer.isBuffer(data)) throw unreadable(source, `page ${pages + 1} could not be read`);
        // The copy is a plain rollback-journal file (header bytes 18-19): opening it never needs
        // -wal/-shm files beside the backup. A restore gives the database its own mode back.
        if (pgno === 1 && (data[18] === 2 || data[19] === 2)) {
          data = Buffer.from(data);
          data[18] = 1;
          data[19] = 1;
        }
        pending.push(data);
        pendingBytes += data.length;
        pages++;
        if (pendingBytes >= CHUNK_BYTES) flush();
      }
      if (pendingBytes > 0) flush();
      if (pages !== total) throw unreadable(source, `${pages} of its ${total} pages were read`);
      fs.fsyncSync(fd);
      return { sha256: hash.digest('hex'), bytes, pages };
    } finally {
      conn.exec('ROLLBACK');
    }
  } finally {
    fs.closeSync(fd);
    conn.close();
  }
}

/** The copy as it is on disk, hashed again: proves what was written is what was read. */
export function sha256OfFileSync(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** quick_check (or integrity_check) of a closed copy; the first messages when it fails. */
export function checkIntegrity(file: string, pragma: 'quick_check' | 'integrity_check'): string[] {
  const conn = new Database(file, { timeout: 5_000 });
  try {
    const rows = conn.prepare(`PRAGMA ${pragma}`).raw(true).all() as unknown[][];
    const messages = rows.map((r) => String(r[0]));
    return messages.length === 1 && messages[0] === 'ok' ? [] : messages.slice(0, 3);
  } finally {
    conn.close();
  }
}

function unreadable(file: string, detail: string): UserError {
  return new UserError(`The backup could not read ${file}: ${detail}.`, {
    hint: 'Run PRAGMA integrity_check on the database; nothing was changed.',
    exitCode: ExitCode.failed,
  });
}
