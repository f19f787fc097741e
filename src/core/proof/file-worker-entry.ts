/**
 * Worker thread entry for file-worker.ts: runs one job on local database files and posts its
 * progress, then its result or its error (as data: errors do not cross threads as objects).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkIntegrity, copyPages, sha256OfFileSync } from './page-copy.js';
import { combine, type ContentDigest, digestDatabase } from './content-hash.js';
import { type Db, fileUrlOf } from '../db/index.js';
import { ExitCode, UserError } from '../model/index.js';
import type { FileJob, JobProgress, WorkerError } from './file-worker.js';
import { allTreesDigestOfFile, recordDigestOfFile } from './record-digest.js';

const job = workerData as FileJob;
const post = (message: unknown) => parentPort!.postMessage(message);

/** Rows hashed so far, at most four messages a second (the caller knows the total). */
function rowsHashed(): (rows: number) => void {
  let last = 0;
  let done = 0;
  return (delta) => {
    done += delta;
    const now = performance.now();
    if (now - last < 250) return;
    last = now;
    const message: JobProgress = { stage: 'hash', done, total: 0, unit: 'rows' };
    post({ progress: message });
  };
}

async function run(): Promise<unknown> {
  switch (job.type) {
    case 'records':
      return recordDigestOfFile(job.path, job.tables, rowsHashed());
    case 'trees':
      return allTreesDigestOfFile(job.path, job.exceptTable);
    case 'values': {
      // Local files are read through the engine directly (row-stream.ts); the Db only names the file.
      const db = { target: { kind: 'file', url: fileUrlOf(job.path), display: job.path, name: job.path, path: job.path } } as unknown as Db;
      return digestDatabase(db, job.snapshot);
    }
    case 'backup': {
      // One walk over every b-tree; the data tables' digests are a subset of it. Of the source while
      // the child copies it: the lock is held, so no commit changes it (the child checks the
      // header's change counter before and after; the hash check below proves the copy holds what
      // the child read). Else (WAL mode, or the child's copy was not used) of the copy.
      let trees: ContentDigest | null = null;
      // One running count of rows for both walks (a fallback walks the copy again): never backwards.
      const hashed = rowsHashed();
      let problems: string[] = [];
      const copy = await copyPages(
        job.source,
        job.dest,
        (done, total) => post({ progress: { stage: 'copy', done, total, unit: 'pages' } }),
        async () => (trees = await allTreesDigestOfFile(job.source, job.exceptTable, hashed)),
        // The copy is written and the lock let go; the child flushes it and reads it back meanwhile.
        () => (problems = checkIntegrity(job.dest, job.pragma)),
      );
      // The child's read-back hash, or (an engine copy, or a read-back that failed) this thread's.
      if ((copy.reread ?? sha256OfFileSync(job.dest)) !== copy.sha256) {
        throw new UserError(`Backup verification failed: ${job.dest} does not hold the bytes that were written to it (the disk or file system changed them).`, {
          hint: 'Check the disk, then back up again (to another --backup-dir if needed).',
          exitCode: ExitCode.failed,
        });
      }
      if (!copy.ranWhileReadBack) problems = checkIntegrity(job.dest, job.pragma);
      if (problems.length > 0) {
        throw new UserError(`${job.pragma} failed on the copy: ${problems.join('; ')}`, {
          hint: 'The backup is not usable; nothing was changed. Run PRAGMA integrity_check on the database.',
          exitCode: ExitCode.failed,
        });
      }
      const all: ContentDigest = copy.ranWhileCopying && trees ? trees : await allTreesDigestOfFile(job.dest, job.exceptTable, hashed);
      const tables = Object.fromEntries(job.tables.map((t) => [t, all.tables[t]]));
      const digest = { kind: all.kind, tables, sha256: combine(tables) };
      return { copy, digest, trees: all };
    }
  }
}

function asWorkerError(error: unknown): WorkerError {
  if (error instanceof UserError) return { message: error.message, user: { hint: error.hint, exitCode: error.exitCode } };
  const e = error as NodeJS.ErrnoException;
  return { message: e instanceof Error ? e.message : String(error), code: typeof e?.code === 'string' ? e.code : undefined };
}

run().then(
  (result) => post({ result }),
  (error: unknown) => post({ error: asWorkerError(error) }),
);
