import { createHash } from 'node:crypto';

/** SHA-256 hex of a text: how the application stores API keys in users.api_key_hash. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
