/**
 * Runs digestDatabase for a local file in a worker thread. The machine has two cores and a
 * backup hashes two databases (the source and its copy); one on each halves that step.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ContentDigest } from './content-hash.js';
import type { Snapshot } from './snapshot.js';

/** The compiled worker: beside this file in dist/, or in dist/ when tests run the TypeScript sources. */
function workerUrl(): URL {
  const sibling = new URL('./digest-worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/core/digest-worker.js', import.meta.url);
}

export interface DigestJob {
  done: Promise<ContentDigest>;
  /** Stops the worker (a no-op once it finished): call it when the caller fails first. */
  stop(): void;
}

export function digestFileInWorker(path: string, snapshot: Snapshot): DigestJob {
  const worker = new Worker(workerUrl(), { workerData: { path, snapshot } });
  const done = new Promise<ContentDigest>((resolve, reject) => {
    worker.once('message', (message: { digest?: ContentDigest; error?: string }) => {
      if (message.digest) resolve(message.digest);
      else reject(new Error(message.error ?? 'digest worker failed'));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`digest worker exited with code ${code}`));
    });
  });
  done.catch(() => undefined);
  return { done, stop: () => void worker.terminate() };
}
