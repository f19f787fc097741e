/**
 * proof/: Proofs of content: row and record digests, the content measured before and compared
 * after, the byte-hashing worker. May import model, sql and db.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { aggregateDifferences, readAggregates, type TableAggregates, withAggregates } from './aggregates.js';
export {
  BOOKKEEPING_DDL,
  bookkeepingDdlDigest,
  bookkeepingDigest,
  combine,
  compareDigests,
  type ContentDigest,
  digestDatabase,
  hashedTables,
  schemaDigest,
  type TableDigest,
  TableHasher,
} from './content-hash.js';
export { changesSince, countChangesSince, type DigestKind, kindOf, measureContent, measureLike, measureTable, preferredKind } from './content-proof.js';
export { rebuildError, runFileJob, type WorkerError } from './file-worker.js';
