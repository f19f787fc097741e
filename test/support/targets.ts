/**
 * One parameterized list of database targets for every database-touching suite: a `file:`
 * database, and the same file served by the loopback Hrana server (the remote/Turso path
 * through the real protocol) over both transports, HTTP and WebSocket. Tests still read and set
 * up the underlying file directly.
 */
import { afterAll } from 'vitest';
import { startHranaServer, type HranaServer } from './hrana/start.js';

/** 'remote' is Hrana over HTTP (http://), 'remote-ws' over WebSocket (ws://), one server for both. */
export type TargetKind = 'file' | 'remote' | 'remote-ws';
// SW_TARGETS=file (npm run test:fast) skips the loopback server; npm test runs all three.
export const TARGETS: TargetKind[] = process.env.SW_TARGETS === 'file' ? ['file'] : ['file', 'remote', 'remote-ws'];

/** The remote transports, for suites that only run remotely. */
export const TRANSPORTS = ['http', 'ws'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const urlOf = (server: HranaServer, transport: Transport) => (transport === 'ws' ? server.wsUrl : server.url);

const servers = new Map<string, HranaServer>();

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  servers.clear();
});

/** The server for a database file (started once per file, stopped after the suite). */
export async function serverFor(file: string): Promise<HranaServer> {
  let server = servers.get(file);
  if (!server) {
    server = await startHranaServer({ dbPath: file });
    servers.set(file, server);
  }
  return server;
}

export interface Connection {
  /** What --db gets. */
  db: string;
  authToken?: string;
}

export async function connectionFor(file: string, kind: TargetKind): Promise<Connection> {
  if (kind === 'file') return { db: file };
  const server = await serverFor(file);
  return { db: kind === 'remote-ws' ? server.wsUrl : server.url, authToken: server.token };
}

/** CLI flags that point at the target: --db, plus --auth-token for remote. */
export async function dbArgs(file: string, kind: TargetKind): Promise<string[]> {
  const c = await connectionFor(file, kind);
  return c.authToken ? ['--db', c.db, '--auth-token', c.authToken] : ['--db', c.db];
}
