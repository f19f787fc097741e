/**
 * A child process that copies the first BYTES bytes of a database file to DEST, hashing them as
 * they stream, while its parent holds a read transaction on the source (page-copy.ts). It runs in
 * a process of its own on purpose: POSIX advisory locks belong to a process, and closing any
 * descriptor of the database file in the process that holds SQLite's locks drops them all.
 *
 * Usage: node file-copy-child.js SOURCE DEST BYTES DEV:INO. Refuses a SOURCE that is no longer
 * the file DEV:INO. Prints `{"done": N}` lines as it goes and, once DEST is on disk,
 * `{"done": N, "sha256": "...", "headerCopied": "...", "headerAtEnd": "..."}`: bytes 24-31 of
 * page 1 (the change counter and the size in pages) as copied and as the file holds them after
 * the copy, so the parent can tell that no commit got past its lock. The parent lets go of the
 * source's lock on that line; this process then reads DEST back from the file system and prints
 * `{"reread": "..."}`, its hash, while the parent checks the copy's integrity.
 *
 * It stops, removing DEST, as soon as its parent lets go of its stdin (the parent was stopped or
 * died, or refused the copy): a copy nobody vouches for must not be left to look like a backup.
 * A read-back that fails on its own keeps DEST: the parent then hashes it itself.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { runChild } from './child-main.js';

const CHUNK_BYTES = 4 << 20;
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
  const input = await fs.promises.open(source, 'r');
  const opened = await input.stat();
  if (`${opened.dev}:${opened.ino}` !== inode) {
    await input.close();
    throw new Error('another file is at the path now');
  }
  const output = await fs.promises.open(dest, 'w', 0o600);
  let written = false;
  try {
    try {
      await output.chmod(0o600);
      const copied = await copyInto(input, output, want);
      await output.sync();
      const atEnd = Buffer.alloc(8);
      await input.read(atEnd, 0, 8, 24);
      process.stdout.write(`${JSON.stringify({ ...copied, headerAtEnd: atEnd.toString('hex') })}\n`);
      written = true;
    } finally {
      await output.close().catch(() => undefined);
      await input.close();
    }
    // A test's seam (never set in use): a pause before the read-back, to change or kill what it reads.
    const pause = Number(process.env.SCHEMA_WIZARD_TEST_READBACK_PAUSE_MS ?? 0);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    const reread = await sha256OfFile(dest);
    if (abandoned) throw new Error('the parent stopped');
    process.stdout.write(`${JSON.stringify({ reread })}\n`);
  } finally {
    // A copy that did not finish, or that its parent let go of, is not left for anyone to mistake for one.
    if (!written || abandoned) fs.rmSync(dest, { force: true });
  }
}

/**
 * SOURCE's first `want` bytes into DEST. Two buffers: the next chunk is read (in libuv's pool)
 * while this one is hashed here and written (in the pool too), so reading, hashing and writing
 * overlap.
 */
async function copyInto(
  input: fs.promises.FileHandle,
  output: fs.promises.FileHandle,
  want: number,
): Promise<{ done: number; sha256: string; headerCopied: string }> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const readInto = (which: number, at: number) => input.read(buffers[which], 0, Math.min(CHUNK_BYTES, want - at), at);
  let which = 0;
  let next: ReturnType<typeof readInto> | null = readInto(which, 0);
  let done = 0;
  let said = 0;
  let headerCopied = '';
  try {
    while (next) {
      if (abandoned) throw new Error('the parent stopped');
      const { bytesRead } = await next;
      next = null;
      if (bytesRead === 0) break;
      const chunk = buffers[which].subarray(0, bytesRead);
      const at = done;
      done += bytesRead;
      which ^= 1;
      if (done < want) next = readInto(which, done);
      if (at === 0) headerCopied = chunk.subarray(24, 32).toString('hex');
      hash.update(chunk);
      for (let off = 0; off < bytesRead;) off += (await output.write(chunk, off, bytesRead - off, at + off)).bytesWritten;
      if (performance.now() - said >= PROGRESS_EVERY_MS) {
        said = performance.now();
        process.stdout.write(`${JSON.stringify({ done })}\n`);
      }
    }
  } finally {
    // A read still in flight when the loop left (an error): settled before the file closes.
    await (next as Promise<unknown> | null)?.catch(() => undefined);
  }
  return { done, sha256: hash.digest('hex'), headerCopied };
}

/** The file as it is on disk now, read back in chunks (the next read overlaps this chunk's hashing). */
async function sha256OfFile(file: string): Promise<string> {
  const handle = await fs.promises.open(file, 'r');
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  let which = 0;
  let at = 0;
  let next: Promise<{ bytesRead: number }> | null = handle.read(buffers[which], 0, CHUNK_BYTES, at);
  try {
    for (;;) {
      if (abandoned) throw new Error('the parent stopped');
      const { bytesRead } = await next;
      next = null;
      if (bytesRead === 0) return hash.digest('hex');
      const chunk = buffers[which].subarray(0, bytesRead);
      at += bytesRead;
      which ^= 1;
      next = handle.read(buffers[which], 0, CHUNK_BYTES, at);
      hash.update(chunk);
    }
  } finally {
    await (next as Promise<unknown> | null)?.catch(() => undefined);
    await handle.close();
  }
}

runChild(main);
