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
  /** Why the engine read them when the file could not be copied (a journal mode not listed, the child failed); absent in WAL mode, which always reads through the engine. */
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
      // WAL mode: committed pages may still sit in the -wal file, so the engine reads them (no warning).
      let why = mode === 'wal' ? undefined : `journal mode ${mode}`;
      if (FILE_HOLDS_EVERYTHING.has(mode)) {
        // The file at the path now, by device and inode: the child must copy this one, not one renamed over it.
        const stat = fs.statSync(source);
        const expect = { header: headerCounters(conn), inode: `${stat.dev}:${stat.ino}` };
        const copying = copyFileInChild(source, dest, total * pageSize, expect, (bytes) => onPages?.(Math.floor(bytes / pageSize), total));
        let failed: unknown = null;
        try {
          whileFileCopies?.();
        } catch (error) {
          failed = error;
        }
        let copied = await copying;
        if (failed) throw failed;
        const now = fs.statSync(source, { throwIfNoEntry: false });
        if ('sha256' in copied && (!now || `${now.dev}:${now.ino}` !== expect.inode)) {
          // The digest beside the copy read the path: it must still name the file the lock is on.
          fs.rmSync(dest, { force: true });
          copied = { why: 'another file took its path while it was copied' };
        }
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

/** What the child reports at the end: the bytes, their hash, and the header's counters as it saw them. */
interface ChildCopy {
  done?: number;
  sha256?: string;
  /** Bytes 24-31 of page 1 (change counter, size in pages) as copied, and as re-read from the file after the copy. */
  headerCopied?: string;
  headerAtEnd?: string;
}

/**
 * The file's first `bytes` bytes copied by a child process (the read lock stays with this
 * connection, in this process). Resolves with the copy's hash, or why it was not made (the
 * file shorter than its pages, another file at the path, its header counters moved, the child
 * failed to run): the caller then reads through the engine. Its stdin stays open while this side
 * waits: closing it (this thread stopped) stops it.
 */
function copyFileInChild(
  source: string,
  dest: string,
  bytes: number,
  expect: { header: string; inode: string },
  onBytes: (done: number) => void,
): Promise<{ sha256: string; bytes: number } | { why: string }> {
  const script = fileURLToPath(compiledModule(new URL('./file-copy-child.js', import.meta.url), 'core/proof/file-copy-child.js'));
  return new Promise((resolve) => {
    let failedToStart: Error | null = null;
    const fail = (why: string) => {
      fs.rmSync(dest, { force: true });
      resolve({ why });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, [script, source, dest, String(bytes), expect.inode], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      fail(`the copy could not start (${(error as Error).message})`);
      return;
    }
    if (!child.stdout || !child.stderr || !child.stdin) {
      child.kill();
      fail('the copy could not start (no pipes)');
      return;
    }
    child.stdin.on('error', () => undefined);
    let out = '';
    let err = '';
    let last: ChildCopy = {};
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        try {
          last = JSON.parse(line) as ChildCopy;
        } catch {
          continue;
        }
        if (typeof last.done === 'number') onBytes(last.done);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    // A child that cannot start reports 'error' and then 'close': the outcome is settled once, at 'close'.
    child.once('error', (error) => (failedToStart = error));
    child.once('close', (code, signal) => {
      child.stdin?.destroy();
      if (failedToStart) return fail(`the copy could not start (${failedToStart.message})`);
      if (code !== 0) return fail(`the copy failed (${err.trim().slice(0, 160) || (signal ? `killed by ${signal}` : `exit ${code}`)})`);
      if (!last.sha256 || last.done !== bytes) return fail(`the file holds ${last.done ?? 0} of the ${bytes} bytes of its pages`);
      // Every commit moves the change counter: equal at the start, in the copy and after it, no
      // writer got past the lock (a file system without working locks would let one).
      if (last.headerCopied !== expect.header || last.headerAtEnd !== expect.header)
        return fail('the file changed while it was copied (does its file system honour locks?)');
      resolve({ sha256: last.sha256, bytes });
    });
  });
}

/** Bytes 24-31 of page 1 as the locked connection reads them: the change counter and the size in pages. */
function headerCounters(conn: Database.Database): string {
  const row = conn.prepare('SELECT data FROM sqlite_dbpage WHERE pgno = 1').raw(true).get() as unknown[] | undefined;
  const page = row?.[0];
  return Buffer.isBuffer(page) ? page.subarray(24, 32).toString('hex') : '';
}

/** Journal modes whose committed pages are all in the main file once the lock is held. */
const FILE_HOLDS_EVERYTHING = new Set(['delete', 'truncate', 'persist', 'memory', 'off']);

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
