/**
 * A child process that copies the first BYTES bytes of a database file to DEST, hashing them as
 * they stream, while its parent holds a read transaction on the source (page-copy.ts). It runs in
 * a process of its own on purpose: POSIX advisory locks belong to a process, and closing any
 * descriptor of the database file in the process that holds SQLite's locks drops them all.
 *
 * Usage: node file-copy-child.js SOURCE DEST BYTES. Prints `{"done": N}` lines as it goes and
 * `{"done": N, "sha256": "..."}` once DEST is on disk. It stops, removing DEST, as soon as its
 * parent lets go of its stdin (the parent was stopped or died): a copy nobody holds the lock for
 * must not go on.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const CHUNK_BYTES = 4 << 20;
const PROGRESS_EVERY_MS = 250;

async function main(): Promise<void> {
  const [source, dest, bytesText] = process.argv.slice(2);
  const want = Number(bytesText);
  if (!source || !dest || !Number.isSafeInteger(want) || want < 0) throw new Error('usage: file-copy-child SOURCE DEST BYTES');
  let abandoned = false;
  process.stdin.on('end', () => (abandoned = true));
  process.stdin.on('error', () => (abandoned = true));
  process.stdin.resume();
  const input = await fs.promises.open(source, 'r');
  const output = await fs.promises.open(dest, 'w', 0o600);
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
      hash.update(chunk);
      for (let at = 0; at < bytesRead;) at += (await output.write(chunk, at, bytesRead - at, done + at)).bytesWritten;
      done += bytesRead;
      if (performance.now() - said >= PROGRESS_EVERY_MS) {
        said = performance.now();
        process.stdout.write(`${JSON.stringify({ done })}\n`);
      }
    }
    await output.sync();
    process.stdout.write(`${JSON.stringify({ done, sha256: hash.digest('hex') })}\n`);
  } catch (error) {
    await output.close().catch(() => undefined);
    fs.rmSync(dest, { force: true });
    throw error;
  } finally {
    await output.close().catch(() => undefined);
    await input.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
