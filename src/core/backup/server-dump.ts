/**
 * A remote database read in one request: the server's own dump (sqld serves `GET /dump`, the
 * same text `turso db shell DB .dump` prints), streamed into a private scratch database next to
 * the backup, in bounded memory. The text is input from the network: only the statements such a
 * dump holds are run (never ATTACH, VACUUM or another PRAGMA), its REALs are read exactly (SQLite's
 * own decimal parsing can be one bit off), and a dump that does not end in its COMMIT is refused
 * as truncated. Where the server has no /dump, or refuses it, the caller reads page by page.
 */
import { createScratchFile, type Target } from '../db/index.js';
import { messageOf } from '../model/index.js';
import { exactNumbers, StatementReader } from '../sql/index.js';

export type ServerDump = { loaded: true; bytes: number; statements: number } | { loaded: false; why: string };

export interface ServerDumpOptions {
  /** Until the response starts (an unreachable or silent host). */
  connectTimeoutMs: number;
  /** Longest silence between two chunks of the body. */
  idleTimeoutMs?: number;
  onProgress?: (bytes: number, statements: number) => void;
}

/** Statements the transaction is ours to manage, so they are not run. */
const MANAGED = /^(BEGIN(\s+TRANSACTION)?|COMMIT|PRAGMA\s+foreign_keys\s*=\s*OFF)$/i;
/** What sqld's exporter (a port of the sqlite3 shell's .dump) writes, and nothing else. */
const DUMPED =
  /^(CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|TRIGGER|VIEW)\b|INSERT\s+INTO\b|DELETE\s+FROM\s+sqlite_sequence$|ANALYZE\s+sqlite_schema$|PRAGMA\s+writable_schema\s*=\s*(ON|OFF)$)/i;

/** The dump's URL: the database's HTTP base (libsql: and wss: are https:, ws: and libsql:?tls=0 are http:), rowids kept. */
export function dumpUrl(target: Target): string {
  const given = new URL(target.url);
  // libsql:?tls=0 is plain HTTP, as the client reads it. The scheme is swapped in the text: a URL
  // object cannot change a libsql: URL into an http(s): one (its protocol setter ignores it).
  const plain = given.protocol === 'ws:' || (given.protocol === 'libsql:' && given.searchParams.get('tls') === '0');
  const url = new URL(`${plain ? 'http:' : given.protocol === 'http:' ? 'http:' : 'https:'}${target.url.slice(given.protocol.length)}`);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/dump`;
  url.search = '?preserve_row_ids=true';
  url.hash = '';
  return url.toString();
}

/**
 * Streams the server's dump into `scratchFile` (created; the caller removes it). Resolves with
 * what was loaded, or why the dump was not used; throws only when the scratch file cannot be
 * written (a full disk), which paging through the client would not fix.
 */
export async function loadServerDump(target: Target, scratchFile: string, options: ServerDumpOptions): Promise<ServerDump> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(new Error('no answer before the timeout')), options.connectTimeoutMs);
  let response: Response;
  try {
    response = await fetch(dumpUrl(target), {
      headers: target.authToken ? { authorization: `Bearer ${target.authToken}` } : {},
      signal: controller.signal,
    });
  } catch (error) {
    clearTimeout(timer);
    return { loaded: false, why: `the dump request failed (${shortReason(error)})` };
  }
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => undefined);
    const why =
      response.status === 404 || response.status === 405
        ? `the server has no /dump endpoint (HTTP ${response.status})`
        : response.status === 401 || response.status === 403
          ? `the server refused /dump (HTTP ${response.status})`
          : `the server answered /dump with HTTP ${response.status}`;
    return { loaded: false, why };
  }
  const idle = options.idleTimeoutMs ?? 120_000;
  const db = createScratchFile(scratchFile);
  try {
    db.exec('PRAGMA journal_mode = OFF');
    db.exec('PRAGMA synchronous = OFF');
    db.exec('BEGIN');
    const reader = new StatementReader();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let bytes = 0;
    let statements = 0;
    let last = '';
    const take = (sql: string): string | null => {
      statements++;
      last = sql;
      if (MANAGED.test(sql)) return null;
      if (!DUMPED.test(sql)) return `it holds a statement a dump never writes (${sql.slice(0, 60)})`;
      // Numbers before VALUES can only sit inside names, which the rewrite skips.
      const run = /^INSERT\s+INTO\b/i.test(sql) ? exactNumbers(sql) : sql;
      // One statement per call: the engine's exec of a long text copies what is left of it after
      // every statement (measured: 9 s for a 164 MB dump, against 1.6 s for sqlite3 reading it).
      db.prepare(run).run();
      return null;
    };
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new Error('the server went silent')), idle);
        bytes += chunk.byteLength;
        for (const sql of reader.feed(decoder.decode(chunk, { stream: true }))) {
          const refused = take(sql);
          if (refused) return notUsed(controller, refused);
        }
        options.onProgress?.(bytes, statements);
      }
      // A statement without its semicolon is where the text was cut: never run it.
      if (reader.end() !== null) last = '';
    } catch (error) {
      if (isDiskFull(error)) throw error;
      return notUsed(controller, `the dump stopped part way (${shortReason(error)})`);
    } finally {
      clearTimeout(timer);
    }
    if (!/^COMMIT$/i.test(last)) return { loaded: false, why: `the dump ended before its COMMIT (truncated after ${bytes} bytes)` };
    db.exec('PRAGMA writable_schema = OFF');
    db.exec('COMMIT');
    return { loaded: true, bytes, statements };
  } catch (error) {
    if (isDiskFull(error)) throw error;
    return { loaded: false, why: `the dump did not load (${shortReason(error)})` };
  } finally {
    db.close();
  }
}

function notUsed(controller: AbortController, why: string): ServerDump {
  controller.abort(new Error(why));
  return { loaded: false, why };
}

function isDiskFull(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOSPC' || /SQLITE_FULL|disk is full/i.test(messageOf(error));
}

function shortReason(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  return (cause ? `${messageOf(error)}: ${messageOf(cause)}` : messageOf(error)).slice(0, 160);
}
