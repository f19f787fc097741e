/**
 * A remote database read in one request: the server's own dump (sqld serves `GET /dump`, the
 * same text `turso db shell DB .dump` prints), streamed in bounded memory both into the backup
 * file, byte for byte and hashed as it passes, and into a private scratch database that proves
 * it (server-dump-loader.ts). Where the server has no /dump, refuses it, or sends a text that is
 * cut, truncated or holds what a dump never writes, the caller reads page by page instead.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Target } from '../db/index.js';
import { isDiskFull, messageOf } from '../model/index.js';
import { ServerDumpLoader } from './server-dump-loader.js';

export type ServerDump = { loaded: true; bytes: number; statements: number; sha256: string } | { loaded: false; why: string };

export interface ServerDumpOptions {
  /** Until the response starts (an unreachable or silent host). */
  connectTimeoutMs: number;
  /** Longest silence between two chunks of the body. */
  idleTimeoutMs?: number;
  onProgress?: (bytes: number, statements: number) => void;
}

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
 * Streams the server's dump into `textFile` (the server's bytes, unchanged) and `scratchFile`
 * (the database they load into); both are created here and removed by the caller. Resolves with
 * what was loaded and the text's SHA-256, or why the dump was not used; throws only when a file
 * cannot be written (a full disk), which paging through the client would not fix.
 */
export async function loadServerDump(target: Target, textFile: string, scratchFile: string, options: ServerDumpOptions): Promise<ServerDump> {
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
  const text = fs.openSync(textFile, 'wx', 0o600);
  const hash = createHash('sha256');
  let loader: ServerDumpLoader | null = null;
  try {
    loader = new ServerDumpLoader(scratchFile);
    let bytes = 0;
    let refusedPartWay: string | null = null;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new Error('the server went silent')), idle);
        bytes += chunk.byteLength;
        writeAll(text, chunk);
        hash.update(chunk);
        refusedPartWay = loader.feed(chunk);
        if (refusedPartWay) break;
        options.onProgress?.(bytes, loader.statements);
      }
    } catch (error) {
      if (isDiskFull(error)) throw error;
      // Leaving the loop early cancels the body; that is not the server stopping.
      if (!refusedPartWay) return notUsed(controller, `the dump stopped part way (${shortReason(error)})`);
    } finally {
      clearTimeout(timer);
    }
    if (refusedPartWay) return notUsed(controller, refusedPartWay);
    const refused = loader.finish();
    if (refused) return { loaded: false, why: refused };
    fs.fsyncSync(text);
    return { loaded: true, bytes, statements: loader.statements, sha256: hash.digest('hex') };
  } catch (error) {
    if (isDiskFull(error)) throw error;
    return { loaded: false, why: `the dump did not load (${shortReason(error)})` };
  } finally {
    loader?.close();
    fs.closeSync(text);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let at = 0; at < chunk.byteLength;) at += fs.writeSync(fd, chunk, at, chunk.byteLength - at);
}

function notUsed(controller: AbortController, why: string): ServerDump {
  controller.abort(new Error(why));
  return { loaded: false, why };
}

function shortReason(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  return (cause ? `${messageOf(error)}: ${messageOf(cause)}` : messageOf(error)).slice(0, 160);
}
