/**
 * What a child process reading a database file's bytes relies on while this process holds a
 * read transaction on it (file-copy-child.ts, digest-child.ts): which journal modes keep every
 * committed page in the file itself, and the header counters that any commit moves.
 */
import type Database from 'libsql';

/** Journal modes whose committed pages are all in the main file once the lock is held (in WAL mode some may sit in the -wal file). */
export const FILE_HOLDS_EVERYTHING = new Set(['delete', 'truncate', 'persist', 'memory', 'off']);

/** Bytes 24-31 of page 1 as the locked connection reads them: the change counter and the size in pages. */
export function headerCounters(conn: Database.Database): string {
  const row = conn.prepare('SELECT data FROM sqlite_dbpage WHERE pgno = 1').raw(true).get() as unknown[] | undefined;
  const page = row?.[0];
  return Buffer.isBuffer(page) ? page.subarray(24, 32).toString('hex') : '';
}

export function journalModeOf(conn: Database.Database): string {
  return String((conn.prepare('PRAGMA journal_mode').raw(true).get() as unknown[])[0]).toLowerCase();
}
