/**
 * A child process that copies the first BYTES bytes of a database file to DEST, hashing them as
 * they stream, while its parent holds a read transaction on the source (page-copy.ts). It runs in
 * a process of its own on purpose: POSIX advisory locks belong to a process, and closing any
 * descriptor of the database file in the process that holds SQLite's locks drops them all.
 *
 * Usage: node file-copy-child.js SOURCE DEST BYTES DEV:INO. Refuses a SOURCE that is no longer
 * the file DEV:INO. Prints `{"done": N}` lines as it goes and, once every byte is written,
 * `{"done": N, "sha256": "...", "headerCopied": "...", "headerAtEnd": "..."}`: bytes 24-31 of
 * page 1 (the change counter and the size in pages) as copied and as the file holds them after
 * the copy, so the parent can tell that no commit got past its lock. The
 * parent lets go of the source's lock on that line; this process then flushes DEST to disk while
 * it reads DEST back from the file system, and prints `{"synced": true, "reread": "..."}` (the
 * read-back's hash) while the parent checks the copy's integrity, or `{"flushFailed": "..."}`.
 *
 * It stops, removing DEST, as soon as its parent lets go of its stdin (the parent was stopped or
 * died, or refused the copy): a copy nobody vouches for must not be left to look like a backup.
 * A read-back that fails on its own keeps DEST once it is flushed: the parent then hashes it itself.
 * A failed flush keeps DEST too: the parent, which may be checking it, removes it and fails.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { runChild } from './child-main.js';

/** One read and one write (why this size: copyInto). */
const CHUNK_BYTES = 64 << 10;
const PROGRESS_EVERY_MS = 250;

let abandoned = false;

async function main(): Promise<void> {
  const [source, dest, bytesText, inode] = process.argv.slice(2);
  const want = Number(bytesText);
  if (!source || !dest || !inode || !Number.isSafeInteger(want) || want < 32) throw new Error('usage: file-copy-child SOURCE DEST BYTES DEV:INO');
  // The parent gone, nobody reads these lines: never die of a closed pipe, stop at the next block.
  process.stdout.on('error', () => (abandoned = true));
  process.stdin.on('end', () => (abandoned = true));
  process.stdin.on('error', () => (abandoned = true));
  process.stdin.resume();
  const input = fs.openSync(source, 'r');
  const opened = fs.fstatSync(input);
  if (`${opened.dev}:${opened.ino}` !== inode) {
    fs.closeSync(input);
    throw new Error('another file is at the path now');
  }
  const output = fs.openSync(dest, 'w', 0o600);
  let written = false;
  let flushed: Promise<void> | null = null;
  try {
    try {
      fs.fchmodSync(output, 0o600);
      const copied = await copyInto(input, output, want);
      const atEnd = Buffer.alloc(8);
      fs.readSync(input, atEnd, 0, 8, 24);
      process.stdout.write(`${JSON.stringify({ ...copied, headerAtEnd: atEnd.toString('hex') })}\n`);
      written = true;
    } finally {
      fs.closeSync(input);
    }
    // Every byte is read from the source: the parent lets go of its lock now. The flush to disk
    // (seconds for a large file, bound by the disk) runs in libuv's pool while this thread reads
    // the copy back and the parent checks it; the copy counts only once both are done.
    // A test's seam (never set in use): a flush that fails with this message, as a disk may.
    const failFlush = process.env.SCHEMA_WIZARD_TEST_FLUSH_ERROR;
    flushed = failFlush ? Promise.reject(new Error(failFlush)) : promisify(fs.fsync)(output);
    flushed.catch(() => undefined);
    // A test's seam (never set in use): a pause before the read-back, to change or kill what it reads.
    const pause = Number(process.env.SCHEMA_WIZARD_TEST_READBACK_PAUSE_MS ?? 0);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    let readBackFailed: unknown = null;
    const reread = await sha256OfFile(dest).catch((error: unknown) => {
      if (abandoned) throw error;
      readBackFailed = error;
      return null;
    });
    try {
      await flushed;
    } catch (error) {
      // Never retried: after a failed fsync the kernel may have dropped the pages it could not write.
      process.stdout.write(`${JSON.stringify({ flushFailed: (error as Error).message })}\n`);
      throw error;
    }
    // One turn of the event loop: a stdin closed during a read-back too short to yield is seen now.
    await breathe();
    if (abandoned) throw new Error('the parent stopped');
    process.stdout.write(`${JSON.stringify({ synced: true, ...(reread ? { reread } : {}) })}\n`);
    if (readBackFailed) throw readBackFailed;
  } finally {
    // A copy that did not finish, or that its parent let go of, is not left for anyone to mistake
    // for one (removed before the flush in flight is waited for). One whose flush failed is the
    // parent's to remove: it may be checking the file right now, and it never counts it.
    if (!written || abandoned) fs.rmSync(dest, { force: true });
    await flushed?.catch(() => undefined);
    fs.closeSync(output);
  }
}

/**
 * Reads and writes in a synchronous loop with one small buffer, and lets the event loop run every
 * YIELD_BYTES (so a closed stdin is seen, and abandoned stops the copy). Measured on a 1.75 GB
 * file: 64 KiB synchronous 1.6-1.8 s for the copy and its hash; asynchronous (a trip through
 * libuv's pool per call) 5.5 s at 64 KiB and 4.0 s at 128 KiB; 4 MiB buffers (larger than the
 * caches) 3.2-5 s either way.
 */
const YIELD_BYTES = 16 << 20;
const breathe = () => new Promise((resolve) => setImmediate(resolve));

/** SOURCE's first `want` bytes into DEST, hashed as they pass. */
async function copyInto(input: number, output: number, want: number): Promise<{ done: number; sha256: string; headerCopied: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let done = 0;
  let said = 0;
  let sinceYield = 0;
  let headerCopied = '';
  while (done < want) {
    const bytesRead = fs.readSync(input, buffer, 0, Math.min(CHUNK_BYTES, want - done), done);
    if (bytesRead === 0) break;
    const chunk = bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead);
    if (done === 0) headerCopied = chunk.subarray(24, 32).toString('hex');
    hash.update(chunk);
    for (let off = 0; off < bytesRead;) off += fs.writeSync(output, chunk, off, bytesRead - off, done + off);
    done += bytesRead;
    if ((sinceYield += bytesRead) >= YIELD_BYTES) {
      sinceYield = 0;
      await breathe();
      if (abandoned) throw new Error('the parent stopped');
    }
    if (performance.now() - said >= PROGRESS_EVERY_MS) {
      said = performance.now();
      process.stdout.write(`${JSON.stringify({ done })}\n`);
    }
  }
  return { done, sha256: hash.digest('hex'), headerCopied };
}

/** The file as it is on disk now, read back (and the event loop let run) as the copy was. */
async function sha256OfFile(file: string): Promise<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let sinceYield = 0;
    for (let at = 0; ;) {
      const bytesRead = fs.readSync(fd, buffer, 0, CHUNK_BYTES, at);
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead));
      at += bytesRead;
      if ((sinceYield += bytesRead) >= YIELD_BYTES) {
        sinceYield = 0;
        await breathe();
        if (abandoned) throw new Error('the parent stopped');
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

runChild(main);
