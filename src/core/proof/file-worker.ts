/**
 * Long, synchronous work on local database files (page copies, record digests, integrity
 * checks) runs in a worker thread: the native driver blocks the thread it runs on, and the
 * main thread must keep painting the screen and answering Ctrl+C. The machine has two cores,
 * so a backup's copy and the caller's own work also run side by side.
 */
import { Worker } from 'node:worker_threads';
import { compiledModule } from '../db/index.js';
import type { PageCopy } from './page-copy.js';
import type { ContentDigest } from './content-hash.js';
import { type ExitCode, type Snapshot, UserError } from '../model/index.js';

export type FileJob =
  /** Record digest (record-digest.ts) of the named tables. */
  | { type: 'records'; path: string; tables: string[] }
  /** Value digest (content-hash.ts): journals and manifests of earlier versions recorded these. */
  | { type: 'values'; path: string; snapshot: Snapshot }
  /** Record digest of every b-tree except those of one table (record-digest.ts allTreesDigestOfFile). */
  | { type: 'trees'; path: string; exceptTable: string }
  /** Page copy of source into dest, its byte hash re-read from disk, an integrity pragma, and its record digest. */
  | { type: 'backup'; source: string; dest: string; tables: string[]; pragma: 'quick_check' | 'integrity_check'; exceptTable: string };

export interface BackupCopy {
  copy: PageCopy;
  /** The record digest of the data tables: the run's content proof and the manifest's content. */
  digest: ContentDigest;
  /** The record digest of every b-tree but the lock table's: what restore checks nothing was altered in. */
  trees: ContentDigest;
}

export interface JobResult {
  records: ContentDigest;
  values: ContentDigest;
  trees: ContentDigest;
  backup: BackupCopy;
}

export interface JobProgress {
  stage: 'copy' | 'hash';
  done: number;
  total: number;
  unit: 'pages' | 'rows';
}

export interface RunningJob<T> {
  done: Promise<T>;
  /** Stops the worker (a no-op once it finished): call it when the caller fails first. */
  stop(): void;
}

export interface WorkerError {
  message: string;
  /** Set when the error was a UserError. */
  user?: { hint?: string; exitCode: number };
  code?: string;
}

interface WorkerMessage {
  result?: unknown;
  progress?: JobProgress;
  error?: WorkerError;
}

export function runFileJob<J extends FileJob>(job: J, onProgress?: (p: JobProgress) => void): RunningJob<JobResult[J['type']]> {
  const worker = new Worker(compiledModule(new URL('./file-worker-entry.js', import.meta.url), 'core/proof/file-worker-entry.js'), { workerData: job });
  const done = new Promise<JobResult[J['type']]>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.progress) {
        onProgress?.(message.progress);
        return;
      }
      if (message.error) reject(rebuildError(message.error));
      else resolve(message.result as JobResult[J['type']]);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`file worker exited with code ${code}`));
    });
  });
  done.catch(() => undefined);
  return { done, stop: () => void worker.terminate() };
}

/** Errors cross the thread boundary as data: a UserError stays one (its sentence and fix), an errno keeps its code. */
export function rebuildError(error: WorkerError): Error {
  if (error.user) return new UserError(error.message, { hint: error.user.hint, exitCode: error.user.exitCode as ExitCode });
  return Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
}
