/**
 * A child process that walks a database file's b-trees for its record digest (tree-walk.ts),
 * reading the file's bytes itself while its parent holds a read transaction on it
 * (record-digest.ts). A read of the file is about six times cheaper than a page through the
 * engine's `sqlite_dbpage`. It is a process of its own for the reason file-copy-child.ts is: POSIX
 * advisory locks belong to a process, and closing a descriptor of the database file in the
 * process that holds SQLite's locks drops them all.
 *
 * Usage: node digest-child.js FILE DEV:INO, then one line on stdin:
 * `{"trees": [[name, root], ...], "pageCount": N, "display": "..."}`. Refuses a FILE that is no
 * longer the file DEV:INO. Prints `{"rows": N}` lines as it goes (rows so far) and at the end
 * `{"tables": {...}, "headerAtStart": "...", "headerAtEnd": "..."}`: bytes 24-31 of page 1 (the
 * change counter and the size in pages) as the file held them before and after the walk, so the
 * parent can tell that no commit got past its lock. Damage found in the file is printed as
 * `{"damaged": "sentence"}` (the parent then walks through the engine, which alone says a file is
 * damaged); any other failure goes to stderr with exit code 1. It stops if its parent dies.
 */
import fs from 'node:fs';
import { runChild } from './child-main.js';
import { UserError } from '../model/index.js';
import { damaged, digestTrees, geometryOf, type PageReader } from './tree-walk.js';

const PROGRESS_EVERY_MS = 250;

interface DigestJob {
  trees: [string, number][];
  pageCount: number;
  display: string;
}

async function main(): Promise<void> {
  const [file, inode] = process.argv.slice(2);
  if (!file || !inode) throw new Error('usage: digest-child FILE DEV:INO');
  // The parent gone, nobody reads these lines: never die of a closed pipe.
  process.stdout.on('error', () => process.exit(1));
  const job = await firstLine();
  const fd = fs.openSync(file, 'r');
  try {
    const opened = fs.fstatSync(fd);
    if (`${opened.dev}:${opened.ino}` !== inode) throw new Error('another file is at the path now');
    const header = Buffer.alloc(100);
    if (fs.readSync(fd, header, 0, 100, 0) !== 100) throw new Error('the file is shorter than its header');
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    // Pages the walk has handed back, read into again: a walk holds only a path of the tree at once.
    const free: Buffer[] = [];
    const read: PageReader = {
      read(pgno) {
        const page = free.pop() ?? Buffer.allocUnsafe(pageSize);
        // A read may return less than asked (network and FUSE file systems): read on to the page's end.
        for (let got = 0; got < pageSize;) {
          const n = fs.readSync(fd, page, got, pageSize - got, (pgno - 1) * pageSize + got);
          if (n === 0) throw damaged(job.display, `page ${pgno} is missing`);
          got += n;
        }
        return page;
      },
      release: (page) => void free.push(page),
    };
    let rows = 0;
    let said = 0;
    const parent = process.ppid;
    const tables = digestTrees(read, geometryOf(header, job.pageCount), job.trees, job.display, (n) => {
      // The walk is synchronous, so stdin's end is never seen: an orphan (its parent gone, the lock
      // with it) notices it has been handed to another parent, and stops.
      if (process.ppid !== parent) process.exit(1);
      rows += n;
      if (performance.now() - said < PROGRESS_EVERY_MS) return;
      said = performance.now();
      process.stdout.write(`${JSON.stringify({ rows })}\n`);
    });
    const atEnd = Buffer.alloc(8);
    fs.readSync(fd, atEnd, 0, 8, 24);
    process.stdout.write(`${JSON.stringify({ rows, tables, headerAtStart: header.subarray(24, 32).toString('hex'), headerAtEnd: atEnd.toString('hex') })}\n`);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stdout.write(`${JSON.stringify({ damaged: error.message })}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The job, sent on stdin (a schema's roots can outgrow an argument). */
function firstLine(): Promise<DigestJob> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      process.stdin.off('data', onData);
      process.stdin.pause();
      try {
        resolve(JSON.parse(text.slice(0, end)) as DigestJob);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', () => reject(new Error('no job was sent')));
  });
}

runChild(main);
