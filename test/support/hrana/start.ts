// Test helper: run server.mjs (a loopback Hrana server, over HTTP v2 and WebSocket) in a child process. A child, not
// in-process, because the engine can abort the process on some bad inputs, and because kill() must be
// able to make the "remote" vanish without taking the test runner with it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SERVER_SCRIPT = fileURLToPath(new URL('./server.mjs', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface StartHranaServerOptions {
  /** SQLite file the server opens (one connection per Hrana stream). Created if missing. */
  dbPath: string;
  /** Bearer token the server requires; random when omitted. */
  token?: string;
  /** Idle time after which a stream expires and its open transaction is rolled back (default 10000). */
  streamIdleMs?: number;
  /** Every counted request is answered this many ms late: a network's round trip (default 0). */
  delayMs?: number;
}

export interface HranaServerStats {
  /** HTTP requests, except the /_test/* endpoints. */
  requests: number;
  /** Authorized POST /v2/pipeline requests. */
  pipelines: number;
  /** Requests received over WebSocket (the client pipelines several per round trip). */
  wsRequests?: number;
  /** WebSocket connections opened. */
  wsConnections?: number;
  /** Authorized GET /dump requests that were served (not the 404s of an absent endpoint). */
  dumps: number;
  /** Statements that reached the engine (skipped batch steps and refused SQL are not counted). */
  statements: number;
  /** Streams currently open (not reset by resetStats). */
  openStreams: number;
  /** Streams that expired since the last reset. */
  expiredStreams: number;
  /** Statements refused as a real server would (VACUUM, ANALYZE, ...), since the last reset. */
  refused: string[];
}

export type DumpMode = { mode: 'served' | 'absent' } | { mode: 'truncated' | 'cut'; afterBytes: number } | { mode: 'altered'; find: string; replace: string };

export interface HranaServer {
  /** `http://127.0.0.1:PORT`, ready for `createClient({ url, authToken: token })`. */
  url: string;
  /** `ws://127.0.0.1:PORT`: the same server over Hrana's WebSocket transport. */
  wsUrl: string;
  token: string;
  port: number;
  stats(): Promise<HranaServerStats>;
  resetStats(): Promise<void>;
  /** How GET /dump answers from now on (server.mjs): served, absent (404), truncated or cut after some bytes, altered once. */
  dumpMode(mode: DumpMode): Promise<void>;
  /** For the next `forMs`, WebSocket requests still run at once but their answers wait until the window ends. */
  stallAnswers(forMs: number): Promise<void>;
  /** SIGTERM: the server rolls back open transactions, closes connections, exits. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes mid-flight. */
  kill(): void;
}

export function startHranaServer(opts: StartHranaServerOptions): Promise<HranaServer> {
  const token = opts.token ?? randomBytes(16).toString('hex');
  const args = [SERVER_SCRIPT, '--db', opts.dbPath, '--token', token, '--port', '0', '--exit-on-stdin-close'];
  if (opts.streamIdleMs !== undefined) args.push('--stream-idle-ms', String(opts.streamIdleMs));
  if (opts.delayMs !== undefined) args.push('--delay-ms', String(opts.delayMs));

  // stdin stays a pipe we never close: if this process dies, the server sees EOF and exits too.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<HranaServer>((resolve, reject) => {
    let stdout = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`hrana test server ${why}\n--- stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`did not report its port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onError = (err: Error) => fail(`could not be spawned: ${err.message}`);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before listening (code ${code}, signal ${signal})`);
    child.once('error', onError);
    child.once('exit', onExit);

    child.stdout.setEncoding('utf8');
    const onData = (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining so the child never blocks on a full pipe
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.on('error', () => {}); // a failed kill() must not crash the test runner
      let port: number;
      try {
        port = (JSON.parse(stdout.slice(0, newline)) as { port: number }).port;
      } catch {
        fail(`printed an unexpected first line: ${stdout.slice(0, newline)}`);
        return;
      }
      const url = `http://127.0.0.1:${port}`;
      resolve({
        url,
        wsUrl: `ws://127.0.0.1:${port}`,
        token,
        port,
        async stats() {
          const res = await fetch(`${url}/_test/stats`);
          return (await res.json()) as HranaServerStats;
        },
        async resetStats() {
          const res = await fetch(`${url}/_test/reset-stats`, { method: 'POST' });
          await res.arrayBuffer();
        },
        async stallAnswers(forMs: number) {
          const res = await fetch(`${url}/_test/stall`, { method: 'POST', body: JSON.stringify({ forMs }) });
          await res.arrayBuffer();
        },
        async dumpMode(mode: DumpMode) {
          const res = await fetch(`${url}/_test/dump-mode`, { method: 'POST', body: JSON.stringify(mode) });
          await res.arrayBuffer();
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timeout = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timeout);
        },
        kill() {
          child.kill('SIGKILL');
        },
      });
    };
    child.stdout.on('data', onData);
  });
}
