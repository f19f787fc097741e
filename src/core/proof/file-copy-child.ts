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
 * the copy, so the parent can tell that no commit got past its lock. It stops, removing DEST, as soon as its
 * parent lets go of its stdin (the parent was stopped or died): a copy nobody holds the lock for
 * must not go on.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

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
  let headerCopied = '';
  let finished = false;
  try {
    await output.chmod(0o600);
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let done = 0;
    let said = 0;
    while (done < want) {
      if (abandoned) throw new Error('the parent stopped');
      const { bytesRead } = await input.read(buffer, 0, Math.min(buffer.length, want - done), done);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (done === 0) headerCopied = chunk.subarray(24, 32).toString('hex');
      hash.update(chunk);
      for (let at = 0; at < bytesRead;) at += (await output.write(chunk, at, bytesRead - at, done + at)).bytesWritten;
      done += bytesRead;
      if (performance.now() - said >= PROGRESS_EVERY_MS) {
        said = performance.now();
        process.stdout.write(`${JSON.stringify({ done })}\n`);
      }
    }
    await output.sync();
    const atEnd = Buffer.alloc(8);
    await input.read(atEnd, 0, 8, 24);
    process.stdout.write(`${JSON.stringify({ done, sha256: hash.digest('hex'), headerCopied, headerAtEnd: atEnd.toString('hex') })}\n`);
    finished = true;
  } finally {
    await output.close().catch(() => undefined);
    await input.close();
    // A copy that did not finish is not left for anyone to mistake for one.
    if (!finished) fs.rmSync(dest, { force: true });
  }
}

// The exit code is set, not forced: process.exit() could drop the last line still in the pipe.
main().then(
  () => {
    process.exitCode = 0;
    process.stdin.destroy();
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    process.stdin.destroy();
  },
);
