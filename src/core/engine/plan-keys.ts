/**
 * Phase 2 and plaintext API keys: the rename would lock out every user whose key is not a
 * SHA-256 hex digest, so the plan waits for a decision, or hashes exactly what can be hashed
 * (never an empty, binary, NUL-holding, numeric or upper-case-hex key), or keeps them as told.
 */
import type { KeyPolicy, PhasePlan, PlaintextKeys, Snapshot } from '../model/index.js';
import { findTable, freeRowidAlias, hasRowid } from '../db/index.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** 7. Plaintext API keys: Phase 2's rename locks those users out unless the keys are hashed. */
export function planKeys(plan: PhasePlan, snapshot: Snapshot, policy: KeyPolicy | undefined): void {
  const keys = snapshot.plaintextKeys;
  if (!keys || keys.count === 0 || plan.renamed.length === 0) {
    if (keys && keys.count > 0)
      plan.warnings.push(
        `${plural(keys.count, 'user')} hold${keys.count === 1 ? 's' : ''} an API key that is not a SHA-256 hex digest in users.${keys.column}; the application cannot authenticate ${keys.count === 1 ? 'that user' : 'them'}.`,
      );
    return;
  }
  const unhashable = keys.count - keys.hashable;
  const leftAsIs = describeUnhashable(keys);
  if (policy === undefined) {
    plan.decision = { kind: 'plaintext-keys', keys };
    return;
  }
  if (policy === 'keep') {
    plan.warnings.push(
      `${plural(keys.count, 'user')} hold${keys.count === 1 ? 's' : ''} a plaintext API key: after the rename ${keys.count === 1 ? 'that user' : 'those users'} cannot authenticate until the keys are hashed (the plaintext keys were kept, by choice).`,
    );
    return;
  }
  const users = findTable(snapshot, 'users');
  const alias = users ? freeRowidAlias(users) : null;
  if (keys.hashable > 0 && (!alias || !users || !hasRowid(users))) {
    plan.conflicts.push(
      'users has no usable rowid (WITHOUT ROWID, or columns named rowid, _rowid_ and oid), so its keys cannot be hashed one row at a time; hash them yourself after a backup, or use --keep-plaintext-keys.',
    );
    return;
  }
  plan.keyHashing = {
    column: plan.renamed[0].to,
    rowid: alias ?? 'rowid',
    hashable: keys.hashable,
    leftAsIs: { empty: keys.empty, blob: keys.blob, nul: keys.nul, other: keys.other, upperHex: keys.upperHex },
  };
  if (keys.hashable > 0) {
    plan.statements.push({ kind: 'hash-keys', object: `users.${plan.renamed[0].to}`, sql: HASH_KEYS_SQL_DESCRIPTION });
    plan.warnings.push(
      `${plural(keys.hashable, 'plaintext API key')} will be replaced by ${keys.hashable === 1 ? 'its' : 'their'} SHA-256 hex in Phase 2's write; only the backup holds the originals.`,
    );
  }
  if (unhashable > 0)
    plan.warnings.push(
      `${plural(unhashable, 'key')} ${unhashable === 1 ? 'is' : 'are'} left as ${unhashable === 1 ? 'it is' : 'they are'} (${leftAsIs}): ${unhashable === 1 ? 'that user' : 'those users'} cannot authenticate until given a new key.`,
    );
}

/** The words for keys that are never hashed, and why. */
export function describeUnhashable(keys: Pick<PlaintextKeys, 'empty' | 'blob' | 'nul' | 'other' | 'upperHex'>): string {
  return [
    keys.empty ? `${keys.empty} empty (hashing would make the empty string a valid credential)` : '',
    keys.blob ? `${keys.blob} BLOB (not a text key)` : '',
    keys.nul ? `${keys.nul} with a NUL byte (the driver would cut them)` : '',
    keys.other ? `${keys.other} numeric` : '',
    keys.upperHex ? `${keys.upperHex} stored as upper-case hex (the application compares lower-case hex: lower() them)` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** How the plan shows the hashing step (the real statements are built at apply time, from the rows). */
export const HASH_KEYS_SQL_DESCRIPTION =
  'UPDATE users SET api_key_hash = <sha256 hex of the key> WHERE the key is non-empty plaintext (bound per row from a scratch table; values never printed)';

/** Views, triggers on other tables, and foreign keys that name `table`. */
