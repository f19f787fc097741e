/**
 * A `.db` backup at file-copy speed: every page of the source, inside one read transaction,
 * written to the copy and hashed as it streams. In rollback-journal mode the pages are the
 * file's own bytes, read by a child process (file-copy-child.ts) while this connection holds the
 * read lock; in WAL mode (whose committed pages may still sit in the -wal file), or when the
 * child cannot run, they are read through the engine (`sqlite_dbpage`).
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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { compiledModule, openExistingFile } from '../db/index.js';
import { ExitCode, UserError } from '../model/index.js';

export interface PageCopy {
  /** SHA-256 of the bytes written (what the .sha256 file and the manifest record). */
  sha256: string;
  bytes: number;
  pages: number;
  /** Who read the pages: a child process reading the file, or the engine. */
  readBy: 'file' | 'engine';
  /** Why the engine read them (WAL mode, or the child failed). */
  why?: string;
}

/** Bytes gathered before one write. */
const CHUNK_BYTES = 4 << 20;

/**
 * `whileFileCopies` runs while the child copies the file and the lock is still held: the source
 * cannot change, so work on it (its record digest) sees the very bytes being copied, on the other
 * core. It does not run when the engine copies the pages (the caller then works on the copy).
 */
export async function copyPages(
  source: string,
  dest: string,
  onPages?: (done: number, total: number) => void,
  whileFileCopies?: () => void,
): Promise<PageCopy & { ranWhileCopying: boolean }> {
  const conn = openExistingFile(source);
  try {
    conn.exec('BEGIN');
    try {
      // The first read starts the transaction (rolling back a hot journal first): page_count and
      // every page read below see one state, and no writer can commit, or spill its cache into
      // the file, until it ends.
      conn.prepare('SELECT count(*) FROM sqlite_schema').raw(true).get();
      const total = Number(pragma(conn, 'page_count'));
      const pageSize = Number(pragma(conn, 'page_size'));
      const mode = String(pragma(conn, 'journal_mode')).toLowerCase();
      let why = 'the database is in WAL mode: its -wal file may hold committed pages';
      if (mode !== 'wal') {
        const copying = copyFileInChild(source, dest, total * pageSize, (bytes) => onPages?.(Math.floor(bytes / pageSize), total));
        let failed: unknown = null;
        try {
          whileFileCopies?.();
        } catch (error) {
          failed = error;
        }
        const copied = await copying;
        if (failed) throw failed;
        if ('sha256' in copied) return { ...copied, pages: total, readBy: 'file', ranWhileCopying: whileFileCopies !== undefined };
        why = copied.why;
      }
      return { ...copyThroughEngine(conn, source, dest, total, onPages), readBy: 'engine', why, ranWhileCopying: false };
    } finally {
      conn.exec('ROLLBACK');
    }
  } finally {
    conn.close();
  }
}

function pragma(conn: Database.Database, name: string): unknown {
  return (conn.prepare(`PRAGMA ${name}`).raw(true).get() as unknown[])[0];
}

/**
 * The file's first `bytes` bytes copied by a child process (the read lock stays with this
 * connection, in this process). Resolves with the copy's hash, or why it was not made (the
 * file shorter than its pages, the child failed to run): the caller then reads through the
 * engine. Its stdin stays open while this side waits: closing it (this thread stopped) stops it.
 */
function copyFileInChild(
  source: string,
  dest: string,
  bytes: number,
  onBytes: (done: number) => void,
): Promise<{ sha256: string; bytes: number } | { why: string }> {
  const script = fileURLToPath(compiledModule(new URL('./file-copy-child.js', import.meta.url), 'core/proof/file-copy-child.js'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, source, dest, String(bytes)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let last: { done?: number; sha256?: string } = {};
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        try {
          last = JSON.parse(line) as typeof last;
        } catch {
          continue;
        }
        if (typeof last.done === 'number') onBytes(last.done);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.once('error', (error) => resolve({ why: `the copy could not start (${error.message})` }));
    child.once('close', (code) => {
      child.stdin.destroy();
      if (code === 0 && last.sha256 && last.done === bytes) resolve({ sha256: last.sha256, bytes });
      else {
        fs.rmSync(dest, { force: true });
        resolve({
          why:
            code === 0
              ? `the file holds ${last.done ?? 0} of the ${bytes} bytes of its pages`
              : `the copy failed (${err.trim().slice(0, 160) || `exit ${code}`})`,
        });
      }
    });
  });
}

function copyThroughEngine(
  conn: Database.Database,
  source: string,
  dest: string,
  total: number,
  onPages?: (done: number, total: number) => void,
): Omit<PageCopy, 'readBy'> {
  const fd = fs.openSync(dest, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
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
    fs.closeSync(fd);
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
