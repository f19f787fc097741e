/**
 * The one place that talks to @libsql/client. Every statement passes a one-statement check
 * first (a local file silently runs only the first of several; a server rejects them), driver
 * errors become sentences an operator can act on (driver-errors.ts), and every statement sent
 * is counted so tests and reports can see exactly what ran.
 */
import fs from 'node:fs';
import { createClient, type Client, type InArgs, type InStatement, type ResultSet, type Row } from '@libsql/client';
export type { Row } from '@libsql/client';
import { isWebSocketUrl, withDeadlines } from './ws-deadline.js';
import { ExitCode, UserError, type Wait } from '../model/index.js';
import { translateError, writeError } from './driver-errors.js';
import { releaseStatements } from './memory.js';
import { countStatements, type Stmt } from '../sql/index.js';
import type { Target } from './target.js';

export type { Stmt } from '../sql/index.js';

export interface DbOptions {
  /** How long to wait for another writer's lock (local files), in ms. */
  busyTimeoutMs?: number;
  /** How long the first request to a remote server may take (unreachable host), in ms. */
  connectTimeoutMs?: number;
  /** Bound on every later HTTP request (a phase's batch can build indexes for a while), in ms. */
  requestTimeoutMs?: number;
  /** Told before a call that may wait (the first request to a host, a local write lock), and null after. */
  onWait?: (wait: Wait | null) => void;
}

export interface Db {
  readonly target: Target;
  /** Statements sent so far, in order (bookkeeping included; a loaded dump's rows are only counted). */
  readonly sent: readonly string[];
  /** How many statements were sent, dump rows included. */
  readonly statementCount: number;
  /** Number of round trips (execute or batch calls) made. */
  readonly roundTrips: number;
  /**
   * How long the last atomic write held the write lock, in ms: from BEGIN IMMEDIATE granted to
   * COMMIT done on a local file; remotely the whole request (the server's window lies inside it).
   */
  readonly lastWriteLockMs: number | null;
  /** Told before a call that may wait for another writer's lock, and null after (the wizard names the wait). */
  onWait?: (wait: Wait | null) => void;
  query(sql: string, args?: InArgs): Promise<Row[]>;
  /**
   * EXPLAIN QUERY PLAN on a connection of its own. The local engine leaves an EXPLAIN statement
   * holding a schema lock on its connection, and a later DROP INDEX on that pooled connection
   * fails with SQLITE_LOCKED; a short-lived client releases it on close.
   */
  explain(sql: string, args?: InArgs): Promise<Row[]>;
  /** EXPLAIN QUERY PLAN of each statement, in one read transaction (one request remotely). */
  explainAll(stmts: Stmt[]): Promise<Row[][]>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  /** Reads in one consistent snapshot (one read transaction, one round trip). */
  readBatch(stmts: Stmt[]): Promise<ResultSet[]>;
  /**
   * Runs statements as ONE atomic write. Local files: one transaction with per-statement
   * callbacks (real progress for long index builds); remote: one batch request.
   * `warmUp`: reads the write's own checks repeat (each table's count), run just before its
   * BEGIN, outside the lock (see `warmed`).
   */
  atomicWrite(stmts: Stmt[], onStatement?: (index: number, ms: number) => void, warmUp?: Stmt[]): Promise<ResultSet[]>;
  /**
   * ONE atomic write with foreign keys off for its duration (the client's migrate()): rollback
   * puts archived rows back even where their parent rows have gone since, and a DROP inside it
   * can never fire an ON DELETE action. One request remotely; no per-statement progress.
   */
  atomicWriteWithoutForeignKeys(stmts: Stmt[], warmUp?: Stmt[]): Promise<ResultSet[]>;
  /**
   * Loads statements as one transaction with foreign keys off (the client's migrate()): a dump's
   * rows may arrive child-before-parent or hold orphans the source already had.
   */
  load(stmts: Stmt[]): Promise<void>;
  /**
   * Runs `work` inside a write transaction that is always rolled back, whatever happens: the
   * smoke tests exercise the live schema and leave the database as it was.
   */
  rolledBack<T>(work: (execute: (sql: string, args?: InArgs) => Promise<ResultSet>) => Promise<T>): Promise<T>;
  close(): void;
}

/** The cache of a connection about to write (KiB; SQLite's default is 2,000): bounds what `warmed` keeps. */
const WRITE_CACHE_KIB = 16_384;

export async function openDb(target: Target, options: DbOptions = {}): Promise<Db> {
  const deadlines = { first: options.connectTimeoutMs ?? 10_000, later: options.requestTimeoutMs ?? 600_000, connected: false };
  const deadline = () => (deadlines.connected ? deadlines.later : deadlines.first);
  const rawClient = () =>
    createClient({
      url: target.url,
      authToken: target.authToken,
      intMode: 'bigint',
      timeout: options.busyTimeoutMs ?? 5_000,
      ...(target.kind === 'remote' ? { fetch: timedFetch(deadline) } : {}),
    });
  const makeClient = () => (isWebSocketUrl(target.url) ? withDeadlines(rawClient, deadline) : rawClient());
  let client: Client;
  try {
    client = makeClient();
  } catch (error) {
    throw translateError(error, target);
  }
  const db = new LibsqlDb(target, client, options.busyTimeoutMs ?? 5_000, makeClient);
  try {
    // Fails fast on a file that is not a database, a corrupt header, a wrong token or an unreachable host.
    if (target.kind === 'remote') options.onWait?.({ kind: 'connect', on: target.display, givesUpMs: deadlines.first });
    await db.query('SELECT count(*) AS n FROM sqlite_schema');
    deadlines.connected = true;
  } catch (error) {
    db.close();
    throw error;
  } finally {
    if (target.kind === 'remote') options.onWait?.(null);
  }
  db.onWait = options.onWait;
  return db;
}

class LibsqlDb implements Db {
  readonly sent: string[] = [];
  statementCount = 0;
  roundTrips = 0;
  lastWriteLockMs: number | null = null;
  onWait?: (wait: Wait | null) => void;
  constructor(
    readonly target: Target,
    private client: Client,
    private readonly busyTimeoutMs: number,
    private readonly makeClient: () => Client,
  ) {}

  /**
   * BEGIN IMMEDIATE on a local file: where another writer holds the lock, the native driver
   * blocks here for up to the busy timeout. Announced first, so the wait can be named.
   */
  private async beginWrite() {
    const local = this.target.kind === 'file';
    if (local) this.onWait?.({ kind: 'lock', on: this.target.display, givesUpMs: this.busyTimeoutMs });
    try {
      return await this.client.transaction('write');
    } catch (error) {
      // After a BEGIN IMMEDIATE that met another writer's lock (SQLITE_BUSY), later writes
      // through this local client were seen by its own connections but never by any other
      // (measured: the lock row's DELETE, then a restore that found the run's own lock). A
      // fresh client starts clean; the old one holds no transaction and is closed.
      if (local) {
        this.client.close();
        this.client = this.makeClient();
      }
      throw translateError(error, this.target);
    } finally {
      if (local) this.onWait?.(null);
    }
  }

  async query(sql: string, args: InArgs = []): Promise<Row[]> {
    return (await this.execute(sql, args)).rows;
  }

  async explain(sql: string, args: InArgs = []): Promise<Row[]> {
    return (await this.explainAll([{ sql, args }]))[0];
  }

  async explainAll(stmts: Stmt[]): Promise<Row[][]> {
    const explained = stmts.map((s) => ({ ...s, sql: `EXPLAIN QUERY PLAN ${s.sql}` }));
    if (this.target.kind === 'remote') return (await this.readBatch(explained)).map((r) => r.rows);
    this.assertSameFile();
    this.track(explained);
    this.roundTrips++;
    // A connection of its own, closed after: see explain().
    const own = createClient({ url: this.target.url, intMode: 'bigint' });
    try {
      return (await own.batch(explained.map(toIn), 'read')).map((r) => r.rows);
    } catch (error) {
      throw translateError(error, this.target);
    } finally {
      own.close();
    }
  }

  async execute(sql: string, args: InArgs = []): Promise<ResultSet> {
    this.assertSameFile();
    this.track([{ sql, args }]);
    this.roundTrips++;
    try {
      return await this.client.execute({ sql, args });
    } catch (error) {
      throw translateError(error, this.target);
    }
  }

  async readBatch(stmts: Stmt[]): Promise<ResultSet[]> {
    this.assertSameFile();
    this.track(stmts);
    this.roundTrips++;
    try {
      return await this.client.batch(stmts.map(toIn), 'read');
    } catch (error) {
      throw translateError(error, this.target);
    }
  }

  async atomicWrite(stmts: Stmt[], onStatement?: (index: number, ms: number) => void, warmUp: Stmt[] = []): Promise<ResultSet[]> {
    this.assertSameFile();
    if (this.target.kind === 'file' && warmUp.length > 0) return this.warmed(warmUp, () => this.atomicWrite(stmts, onStatement));
    this.track(stmts);
    if (this.target.kind === 'remote') {
      this.roundTrips++;
      const started = performance.now();
      try {
        const results = await this.client.batch(stmts.map(toIn), 'write');
        this.lastWriteLockMs = performance.now() - started;
        // One request ran them all: report the batch time against the last statement.
        stmts.forEach((_, i) => onStatement?.(i, i === stmts.length - 1 ? performance.now() - started : 0));
        return results;
      } catch (error) {
        throw writeError(error, this.target, stmts);
      }
    }
    const tx = await this.beginWrite();
    const locked = performance.now();
    try {
      const results: ResultSet[] = [];
      for (let i = 0; i < stmts.length; i++) {
        const started = performance.now();
        this.roundTrips++;
        try {
          results.push(await tx.execute(toIn(stmts[i])));
        } catch (error) {
          throw translateError(error, this.target, [stmts[i]]);
        }
        onStatement?.(i, performance.now() - started);
      }
      // COMMIT can meet a busy reader or a full disk too: same sentences as any statement.
      await tx.commit().catch((error: unknown) => {
        throw translateError(error, this.target);
      });
      this.lastWriteLockMs = performance.now() - locked;
      return results;
    } finally {
      // Rolls back if commit was not reached; a no-op after commit.
      tx.close();
    }
  }

  async atomicWriteWithoutForeignKeys(stmts: Stmt[], warmUp: Stmt[] = []): Promise<ResultSet[]> {
    this.assertSameFile();
    if (this.target.kind === 'file' && warmUp.length > 0) return this.warmed(warmUp, () => this.atomicWriteWithoutForeignKeys(stmts));
    this.track(stmts);
    this.roundTrips++;
    const started = performance.now();
    try {
      const results = await this.client.migrate(stmts.map(toIn));
      // One call from its BEGIN to its COMMIT (the foreign-key pragmas around it hold no lock).
      this.lastWriteLockMs = performance.now() - started;
      return results;
    } catch (error) {
      throw writeError(error, this.target, stmts);
    }
  }

  /**
   * A phase's write counts the rows of every plain table twice inside its lock (the journal's
   * before-counts, then the row guard). Read cold, those b-trees' pages came from the OS one by
   * one: at 100k memories about 1,800 pages (7 MiB), most of Phase 2's lock window. Read here
   * first, on the pooled connection the write then borrows (the pool hands out the connection
   * released last, and nothing else runs in between), with a cache large enough to keep them,
   * the counts inside the lock read cached pages. Nothing is decided from these reads: the write
   * counts inside its own transaction, and SQLite drops the cache by itself if another
   * connection commits before the BEGIN. So the read never waits (a committing writer would make
   * it wait unannounced; the BEGIN waits, announced, as before) and a failed read only means a
   * colder write. A database whose counted pages outgrow the cache pays this one count more,
   * outside the lock, for nothing. Once the write is done the connection gets its own cache
   * size back. Local files only: remotely the write is one request, the server's cache its own.
   */
  private async warmed<T>(warmUp: Stmt[], write: () => Promise<T>): Promise<T> {
    const client = this.client;
    const size = await this.withoutWaiting(async () => {
      const own = (await this.execute('PRAGMA cache_size')).rows[0]?.[0];
      await this.execute(`PRAGMA cache_size = -${WRITE_CACHE_KIB}`);
      for (const stmt of warmUp) await this.execute(stmt.sql, stmt.args);
      return own;
    });
    try {
      return await write();
    } finally {
      // For memory only, so it never masks what the write did (a committed phase stays committed);
      // execute() never opens a file that moved. A BEGIN that met a lock replaces the client: its
      // connection never had the larger cache.
      if (this.client === client && (typeof size === 'number' || typeof size === 'bigint')) {
        await this.withoutWaiting(() => this.execute(`PRAGMA cache_size = ${size}`)).catch(() => undefined);
      }
    }
  }

  /**
   * Runs `work` on a local connection whose busy timeout is 0 meanwhile: reads that only help
   * never wait for a lock (a wait must be announced, and bounded once). Their errors are
   * dropped (undefined is returned): what they would have helped then works as without them.
   */
  private async withoutWaiting<T>(work: () => Promise<T>): Promise<T | undefined> {
    await this.execute('PRAGMA busy_timeout = 0');
    try {
      return await work().catch(() => undefined);
    } finally {
      await this.execute(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  async load(stmts: Stmt[]): Promise<void> {
    this.assertSameFile();
    // A dump is gigabytes of INSERTs, already split one statement each by StatementReader:
    // counted, never kept, not scanned a second time.
    this.statementCount += stmts.length;
    this.roundTrips++;
    try {
      await this.client.migrate(stmts.map(toIn));
    } catch (error) {
      throw writeError(error, this.target, []);
    }
  }

  async rolledBack<T>(work: (execute: (sql: string, args?: InArgs) => Promise<ResultSet>) => Promise<T>): Promise<T> {
    this.assertSameFile();
    const tx = await this.beginWrite();
    try {
      return await work(async (sql, args = []) => {
        this.track([{ sql, args }]);
        this.roundTrips++;
        try {
          return await tx.execute({ sql, args });
        } catch (error) {
          throw translateError(error, this.target, [{ sql, args }]);
        }
      });
    } finally {
      await tx.rollback().catch(() => undefined);
      tx.close();
    }
  }

  /**
   * A local file moved or deleted under the run: the client would open (and create) an empty
   * database at the old path on its next connection. Checked before every call: the path must
   * still name the file that was opened.
   */
  private assertSameFile(): void {
    const path = this.target.kind === 'file' ? this.target.path : undefined;
    if (!path) return;
    let now: fs.Stats | null = null;
    try {
      now = fs.statSync(path);
    } catch {
      now = null;
    }
    this.opened ??= now ? { dev: now.dev, ino: now.ino } : null;
    if (!now || !this.opened || now.dev !== this.opened.dev || now.ino !== this.opened.ino) {
      throw new UserError(
        `${this.target.display} was moved or deleted while this run had it open: nothing more was written to it (a phase in flight was rolled back as a whole).`,
        {
          hint: 'Put the database back where --db says (or point --db at its new place), then run the command again; verify tells where things stand.',
          exitCode: ExitCode.failed,
        },
      );
    }
  }

  private opened: { dev: number; ino: number } | null | undefined;

  close(): void {
    this.client.close();
    // The local client's close() leaves the native file handles open until their wrappers are
    // collected; a restore that checks who has the file open would count them. Collect soon.
    setImmediate(releaseStatements).unref();
  }

  private track(stmts: Stmt[]): void {
    for (const stmt of stmts) {
      const count = countStatements(stmt.sql);
      if (count !== 1) {
        throw new Error(`internal: refusing to send ${count} statements in one call: ${stmt.sql.slice(0, 80)}`);
      }
      this.sent.push(stmt.sql);
      this.statementCount++;
    }
  }
}

function toIn(stmt: Stmt): InStatement {
  return { sql: stmt.sql, args: stmt.args ?? [] };
}

/** A fetch with a deadline, so an unreachable or silent host fails in bounded time. */
function timedFetch(ms: () => number) {
  return (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(ms()) });
}
