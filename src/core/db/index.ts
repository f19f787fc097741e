/**
 * db/: The database: the client (the one place that talks to @libsql/client), targets and their
 * URLs, driver errors as sentences, the snapshot and the questions asked of it, row streams, guard
 * statements. May import model and sql.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { compiledModule } from './compiled-url.js';
export { type Db, openDb, type Row, type Stmt } from './db.js';
export { GUARD_MARK, guardStatement } from './guard-mark.js';
export { createScratchFile, openExistingFile } from './local-file.js';
export { releaseStatements } from './memory.js';
export { rowBatches, TextBytes } from './row-stream.js';
export {
  ARCHIVE_ROWID,
  assertMcpMemory,
  BOOKKEEPING_PREFIX,
  findColumn,
  findIndex,
  findTable,
  freeRowidAlias,
  groupForeignKeys,
  guideTables,
  hasColumn,
  hasRowid,
  isBookkeeping,
  namedIndexes,
  referencesTo,
  rowCounts,
  sameName,
  userTriggers,
} from './schema-lookups.js';
export { takeSnapshot } from './snapshot.js';
export { assertWritableTarget, decodeSafe, fileUrlOf, redactUrl, resolveTarget, splitUserinfo, type Target, urlSecrets } from './target.js';
export { num, str } from './values.js';
