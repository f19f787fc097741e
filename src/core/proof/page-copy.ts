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
import { FILE_HOLDS_EVERYTHING, headerCounters, journalModeOf } from './locked-file.js';

export interface PageCopy {
  /** SHA-256 of the bytes written (what the .sha256 file and the manifest record). */
  sha256: string;
  bytes: number;
  pages: number;
  /** Who read the pages: a child process reading the file, or the engine. */
  readBy: 'file' | 'engine';
  /** Why the engine read them when the file could not be copied (a journal mode not listed, the child failed); absent in WAL mode, which always reads through the engine. */
  why?: string;
  /** The copy's hash as the child read it back from the file system after writing it (file copies whose read-back worked). */
  reread?: string;
}

/** Bytes gathered before one write, and read at once when a file is hashed again (as file-copy-child.ts: larger buffers copy slower). */
const CHUNK_BYTES = 64 << 10;

/**
 * `whileFileCopies` runs (and is awaited) while the child copies the file and the lock is still
 * held: the source cannot change, so work on it (its record digest, read by a child of its own)
 * sees the very bytes being copied. Once every byte of the copy is written and proven to be the
 * locked file's, the lock is let go (a writer waits no longer than the copy: the source is not
 * read again) and `whileReadBack` runs while the child flushes the copy to disk and reads it back
 * for its hash: work on the copy (its integrity check) overlaps both, and `reread` is that hash
 * (absent when the read-back failed: the caller hashes the file itself). It returns once the
 * copy is on disk. Neither runs when the engine copies the pages (the caller then works on the copy).
 */
export async function copyPages(
  source: string,
  dest: string,
  onPages?: (done: number, total: number) => void,
  whileFileCopies?: () => Promise<unknown> | void,
  whileReadBack?: () => void,
): Promise<PageCopy & { ranWhileCopying: boolean; ranWhileReadBack: boolean }> {
  const conn = openExistingFile(source);
  let locked = false;
  const release = () => {
    if (!locked) return;
    locked = false;
    conn.exec('ROLLBACK');
  };
  try {
    conn.exec('BEGIN');
    locked = true;
    // The first read starts the transaction (rolling back a hot journal first): page_count and
    // every page read below see one state, and no writer can commit, or spill its cache into
    // the file, until it ends.
    conn.prepare('SELECT count(*) FROM sqlite_schema').raw(true).get();
    const total = Number(pragma(conn, 'page_count'));
    const pageSize = Number(pragma(conn, 'page_size'));
    const mode = journalModeOf(conn);
    // WAL mode: committed pages may still sit in the -wal file, so the engine reads them (no warning).
    let why = mode === 'wal' ? undefined : `journal mode ${mode}`;
    if (FILE_HOLDS_EVERYTHING.has(mode)) {
      // The file at the path now, by device and inode: the child must copy this one, not one renamed over it.
      const stat = fs.statSync(source);
      const expect = { header: headerCounters(conn), inode: `${stat.dev}:${stat.ino}` };
      const child = copyFileInChild(source, dest, total * pageSize, expect, (bytes) => onPages?.(Math.floor(bytes / pageSize), total));
      const accepted = async () => {
        let failed: unknown = null;
        try {
          await whileFileCopies?.();
        } catch (error) {
          failed = error;
        }
        const copied = await child.copied;
        if (failed) throw failed;
        if (!('sha256' in copied)) return copied;
        const now = fs.statSync(source, { throwIfNoEntry: false });
        if (!now || `${now.dev}:${now.ino}` !== expect.inode) {
          // The digest beside the copy read the path: it must still name the file the lock is on.
          await child.abandon();
          return { why: 'another file took its path while it was copied' };
        }
        // Every byte of the copy is the locked file's (its hash, its length, the header's
        // counters unmoved): nothing more needs the source, so writers may go on.
        release();
        let ranWhileReadBack = false;
        try {
          whileReadBack?.();
          ranWhileReadBack = whileReadBack !== undefined;
        } catch (error) {
          failed = error;
        }
        const exit = await child.readBack;
        // The child flushes the copy while it reads it back: a copy it did not confirm on disk
        // (its flush failed, or it was killed) does not count, whatever else was found.
        if (!exit.synced) throw notFlushed(dest, exit.flushFailed);
        if (failed) throw failed;
        const reread = exit.reread;
        return {
          ...copied,
          ...(reread ? { reread } : {}),
          pages: total,
          readBy: 'file' as const,
          ranWhileCopying: whileFileCopies !== undefined,
          ranWhileReadBack,
        };
      };
      // Whatever fails on the way, the child is stopped (it removes its copy) before this returns.
      const copied = await accepted().catch(async (error: unknown) => {
        await child.abandon();
        throw error;
      });
      if ('sha256' in copied) return copied;
      why = copied.why;
    }
    return { ...copyThroughEngine(conn, source, dest, total, onPages), readBy: 'engine', why, ranWhileCopying: false, ranWhileReadBack: false };
  } finally {
    release();
    conn.close();
  }
}

function pragma(conn: Database.Database, name: string): unknown {
  return (conn.prepare(`PRAGMA ${name}`).raw(true).get() as unknown[])[0];
}

/** What the child reports, its lines merged: the bytes, their hash and the header's counters as it saw them, then the read-back hash. */
interface ChildCopy {
  done?: number;
  sha256?: string;
  /** Bytes 24-31 of page 1 (change counter, size in pages) as copied, and as re-read from the file after the copy. */
  headerCopied?: string;
  headerAtEnd?: string;
  /** The copy's hash as read back from the file system, after it was written. */
  reread?: string;
  /** The copy is on disk (its fsync returned). */
  synced?: boolean;
  /** Why its fsync failed. */
  flushFailed?: string;
}

/** How the child ended, once its copy was accepted. */
interface ChildExit {
  /** The copy's hash as the child read it back; null when that read failed (DEST is kept). */
  reread: string | null;
  /** The child flushed DEST to disk. */
  synced: boolean;
  flushFailed?: string;
}

interface ChildRun {
  /**
   * The copy's hash once it is written and checked against the lock's view (its length, the
   * header's counters), or why it was not made (the file shorter than its pages, another file at
   * the path, its counters moved, the child failed to run), with nothing left at DEST: the caller
   * then reads through the engine.
   */
  copied: Promise<{ sha256: string; bytes: number } | { why: string }>;
  /** How the child ended (its read-back hash, its flush), once it has exited. */
  readBack: Promise<ChildExit>;
  /** Stops the child (it removes DEST unless it already ended) and waits for it to exit. */
  abandon(): Promise<void>;
}

/**
 * The file's first `bytes` bytes copied by a child process (the read lock stays with this
 * connection, in this process). Its stdin stays open while this side waits: closing it (this
 * thread stopped, or the copy refused) stops it and removes DEST.
 */
function copyFileInChild(source: string, dest: string, bytes: number, expect: { header: string; inode: string }, onBytes: (done: number) => void): ChildRun {
  const script = fileURLToPath(compiledModule(new URL('./file-copy-child.js', import.meta.url), 'core/proof/file-copy-child.js'));
  let settleCopied!: (outcome: { sha256: string; bytes: number } | { why: string }) => void;
  const copied = new Promise<{ sha256: string; bytes: number } | { why: string }>((resolve) => (settleCopied = resolve));
  let settleExit!: (exit: ChildExit) => void;
  const readBack = new Promise<ChildExit>((resolve) => (settleExit = resolve));
  let child: ReturnType<typeof spawn> | null = null;
  const abandon = async () => {
    child?.stdin?.destroy();
    await readBack;
  };
  let refused: string | null = null;
  let accepted = false;
  const fail = (why: string) => {
    fs.rmSync(dest, { force: true });
    settleCopied({ why });
  };
  try {
    child = spawn(process.execPath, [script, source, dest, String(bytes), expect.inode], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // A group of its own: a Ctrl+C or hangup meant for the CLI does not kill the copy under it
      // (the run decides when to stop, and closing stdin stops the child).
      detached: true,
    });
  } catch (error) {
    fail(`the copy could not start (${(error as Error).message})`);
    settleExit(NOTHING_FLUSHED);
    return { copied, readBack, abandon };
  }
  const running = child;
  if (!running.stdout || !running.stderr || !running.stdin) {
    running.kill();
    fail('the copy could not start (no pipes)');
    settleExit(NOTHING_FLUSHED);
    return { copied, readBack, abandon };
  }
  running.stdin.on('error', () => undefined);
  let out = '';
  let err = '';
  let last: ChildCopy = {};
  /** The copy line: accepted when it is the whole file as the lock saw it, else the child is stopped. */
  const judge = () => {
    if (last.done !== bytes) refused = `the file holds ${last.done ?? 0} of the ${bytes} bytes of its pages`;
    // Every commit moves the change counter: equal at the start, in the copy and after it, no
    // writer got past the lock (a file system without working locks would let one).
    else if (last.headerCopied !== expect.header || last.headerAtEnd !== expect.header)
      refused = 'the file changed while it was copied (does its file system honour locks?)';
    if (refused) {
      running.stdin?.destroy();
      return;
    }
    accepted = true;
    settleCopied({ sha256: last.sha256!, bytes });
  };
  running.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) {
      let said: ChildCopy;
      try {
        said = JSON.parse(line) as ChildCopy;
      } catch {
        continue;
      }
      last = { ...last, ...said };
      if (typeof said.done === 'number') onBytes(said.done);
      if (said.sha256 && !accepted && !refused) judge();
    }
  });
  running.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  let failedToStart: Error | null = null;
  // A child that cannot start reports 'error' and then 'close': the outcome is settled once, at 'close'.
  running.once('error', (error) => (failedToStart = error));
  running.once('close', (code, signal) => {
    running.stdin?.destroy();
    if (accepted) {
      // The copy stays (the child removes it only when let go of): a failed read-back is hashed
      // by the caller, a copy not confirmed on disk is removed by it.
      settleExit({
        reread: code === 0 && last.reread ? last.reread : null,
        synced: last.synced === true,
        ...(last.flushFailed ? { flushFailed: last.flushFailed } : {}),
      });
      return;
    }
    settleExit(NOTHING_FLUSHED);
    if (refused) return fail(refused);
    if (failedToStart) return fail(`the copy could not start (${(failedToStart as Error).message})`);
    if (code !== 0) return fail(`the copy failed (${err.trim().slice(0, 160) || (signal ? `killed by ${signal}` : `exit ${code}`)})`);
    fail(`the file holds ${last.done ?? 0} of the ${bytes} bytes of its pages`);
  });
  return { copied, readBack, abandon };
}

const NOTHING_FLUSHED: ChildExit = { reread: null, synced: false };

/**
 * The accepted copy's flush failed, or the child ended without saying it flushed: the backup is
 * not on disk. Never flushed again from here: after a failed fsync the kernel may have marked the
 * pages it could not write clean, and a descriptor opened now would not see that error (a child
 * killed mid-flush may have met one). The copy is removed once nothing reads it any more.
 */
function notFlushed(dest: string, flushFailed: string | undefined): UserError {
  fs.rmSync(dest, { force: true });
  const why = flushFailed ?? 'the copying process ended before it confirmed the flush';
  return new UserError(
    `The backup could not be written to disk: its copy did not flush (${why}). The partial file was removed and the database was not changed.`,
    {
      hint: 'Check the disk and its free space, then back up again (to another --backup-dir if needed).',
      exitCode: ExitCode.failed,
    },
  );
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
  // Never a new, empty database (which would pass) where the copy went missing.
  const conn = openExistingFile(file);
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
