/**
 * Whether anyone committed to a local file since a moment: a connection of its own, which only
 * reads, asks PRAGMA data_version. SQLite documents that its value changes whenever any
 * other connection commits, in rollback-journal and WAL mode alike; this run's own connections
 * are others too, so its own writes count as changes. A measurement of the content made after a
 * mark therefore still holds while `unchangedSince(mark)` is true: that is what lets a run reuse
 * a digest instead of reading every row again.
 *
 * The watch is only trusted on the file it opened: the path must still name that inode (a file
 * put in its place would be invisible to this connection), checked at every mark and question.
 */
import fs from 'node:fs';
import Database from 'libsql';

export interface CommitMark {
  readonly version: number;
  readonly dev: number;
  readonly ino: number;
}

const identity = (path: string): { dev: number; ino: number } | null => {
  try {
    const s = fs.statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
};

const same = (a: { dev: number; ino: number } | null, b: { dev: number; ino: number } | null) => a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

export class CommitWatch {
  private conn: Database.Database | null = null;
  private file: { dev: number; ino: number } | null = null;
  private broken = false;

  constructor(private readonly path: string) {}

  /** The file's commits so far, or null when it cannot be watched (then nothing is ever reused). */
  mark(): CommitMark | null {
    const conn = this.open();
    if (!conn) return null;
    const version = this.version(conn);
    // Read after the version: a file put in place before that read is caught here.
    return version !== null && same(identity(this.path), this.file) ? { version, ...this.file! } : null;
  }

  /** True only when nobody committed to the file since `mark` (this run's own writes included). */
  unchangedSince(mark: CommitMark | null): boolean {
    if (!mark || !this.conn || !same(identity(this.path), mark)) return false;
    return this.version(this.conn) === mark.version;
  }

  close(): void {
    this.broken = true;
    this.conn?.close();
    this.conn = null;
  }

  private open(): Database.Database | null {
    if (this.conn || this.broken) return this.conn;
    const before = identity(this.path);
    try {
      if (!before) throw new Error('no file');
      // Only ever reads (libsql has no read-only open); the path was checked to exist, so nothing is created.
      this.conn = new Database(this.path, { timeout: 5_000 });
    } catch {
      this.broken = true;
      return null;
    }
    // The inode the connection holds: the same before and after the open, or it is not trusted.
    if (!same(before, identity(this.path))) {
      this.close();
      return null;
    }
    this.file = before;
    return this.conn;
  }

  private version(conn: Database.Database): number | null {
    try {
      const row = conn.prepare('PRAGMA data_version').raw(true).get() as unknown[] | undefined;
      return row ? Number(row[0]) : null;
    } catch {
      return null;
    }
  }
}
