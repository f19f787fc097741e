/**
 * sql/: SQL as text: the guide's phases and the v1 schema, statement splitting, identifier
 * spelling, index shapes, digests. Pure functions over strings; may import model.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { foldName, normalizeSql, plainIdent, quoteIdent, quoteText, unquoteName } from './identifiers.js';
export { indexShape, type IndexShape, sameShape, serves, shapeSql } from './index-shape.js';
export { notSha256Hex, upperHexSql } from './key-digests.js';
export {
  type ColumnRename,
  COVERING_INDEXES,
  type IndexTarget,
  parsePhase,
  PHASE_1,
  type PhaseDefinition,
  type PhaseId,
  PHASES,
  phaseTitle,
  V1_FTS_SQL,
  V1_INDEX_SQL,
  V1_OBJECTS,
} from './phases.js';
export { sha256Hex } from './sha256.js';
export { countStatements, splitStatements, StatementReader } from './statement-reader.js';
export type { Stmt } from './stmt.js';
export { decodeUtf8 } from './utf8.js';
export { V1_SCHEMA_SQL } from './v1-schema.js';
export { exactNumbers, realLiteral } from './real-literal.js';
