/**
 * Worker thread entry: the content digest of a local database file, computed on the other core
 * while the main thread digests another (a backup's copy against its source).
 */
import { fileUrlOf } from './target.js';
import { parentPort, workerData } from 'node:worker_threads';
import { digestDatabase } from './content-hash.js';
import type { Db } from './db.js';
import type { Snapshot } from './snapshot.js';

interface Job {
  path: string;
  snapshot: Snapshot;
}

const job = workerData as Job;
// Local files are read through the engine directly (row-stream.ts); the Db only names the file.
const db = { target: { kind: 'file', url: fileUrlOf(job.path), display: job.path, name: job.path, path: job.path } } as unknown as Db;
digestDatabase(db, job.snapshot).then(
  (digest) => parentPort!.postMessage({ digest }),
  (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
