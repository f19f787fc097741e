/**
 * Where a worker thread's compiled entry is: beside the calling module in dist/, or, when tests
 * run the TypeScript sources, in dist/ (a worker needs JavaScript). One rule for every worker.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `sibling`: the entry next to the caller (new URL('./x.js', import.meta.url)); `inDist`: its path under dist/. */
export function compiledModule(sibling: URL, inDist: string): URL {
  if (fs.existsSync(fileURLToPath(sibling))) return sibling;
  return new URL(`../../../dist/${inDist}`, import.meta.url);
}
