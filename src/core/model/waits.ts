/**
 * Waits the core announces before a native call that may block, with the bound after which it
 * gives up: a remote host's first answer, or another writer's lock on a local file. A screen on
 * another thread can then name the wait while it lasts. A leaf: it imports nothing.
 */
export interface Wait {
  /** content-check: comparing the content with the backup's just before a phase (no bound: it reads, it never blocks). */
  kind: 'connect' | 'lock' | 'content-check';
  /** The database, as displayed. */
  on: string;
  givesUpMs: number;
}

/** A wait in the operator's words: what it waits for, and when it gives up. */
export function waitWords(wait: Wait): string {
  if (wait.kind === 'content-check') return `Checking that nothing was written to ${wait.on} since the backup…`;
  const bound = `gives up in ${Math.round(wait.givesUpMs / 1000)} s`;
  return wait.kind === 'connect' ? `Connecting to ${wait.on} (${bound})…` : `Waiting for another writer's lock on ${wait.on} (${bound})…`;
}
