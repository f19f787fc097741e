/**
 * SQL conditions over an API key column: is the value the application's lower-case SHA-256 hex
 * digest, or a digest in upper case (which the application, comparing lower case, never matches).
 */
import { quoteIdent } from './identifiers.js';

/** SQL condition: 64 hex digits, some of them upper case (a digest the application, comparing lower-case hex, does not match). */
export function upperHexSql(column: string): string {
  const col = quoteIdent(column);
  return `(length(${col}) = 64 AND ${col} NOT GLOB '*[^0-9a-fA-F]*' AND ${col} GLOB '*[A-F]*')`;
}

/** SQL condition: the key column holds something other than 64 hex characters (not a SHA-256). */
export function notSha256Hex(column: string): string {
  const col = quoteIdent(column);
  // Lower-case only: the application compares with sha256(key) as lower-case hex.
  return `${col} IS NOT NULL AND NOT (typeof(${col}) = 'text' AND length(${col}) = 64 AND ${col} NOT GLOB '*[^0-9a-f]*')`;
}
