/**
 * Deadlines for the WebSocket transport. Over HTTP every request is a fetch with a timeout
 * signal; over ws:// and wss:// the client has no fetch, so a server that accepts the socket and
 * then never answers would hold a run forever. Each call of the client, and of a transaction it
 * opens, races the deadline; when it passes, the connection is closed (its socket with it, which
 * ends the server's stream and rolls back an interactive transaction left open; a batch the
 * server already received runs whole or not at all) and the call fails with a TimeoutError that
 * translateError words as "no answer before the timeout".
 */
import type { Client, Transaction } from '@libsql/client';

export function isWebSocketUrl(url: string): boolean {
  return /^wss?:/i.test(url);
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`TimeoutError: no answer within ${ms} ms`), { name: 'TimeoutError' });
}

function race<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(timeoutError(ms));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

type Calls<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/** `obj[key]` as a proxy hands it out: a call of `methods` races the deadline, other methods are bound. */
function member<T extends object>(obj: T, key: string | symbol, methods: Calls<T>[], ms: () => number, onTimeout: () => void): unknown {
  // The object as receiver: getters that read private fields must see the object, not the proxy.
  const value = Reflect.get(obj, key, obj);
  if (typeof value !== 'function') return value;
  if (!methods.includes(key as Calls<T>)) return value.bind(obj);
  return (...args: unknown[]) => race(Promise.resolve(value.apply(obj, args)), ms(), onTimeout);
}

/** `target` with each of `methods` racing the deadline. */
function timed<T extends object>(target: T, methods: Calls<T>[], ms: () => number, onTimeout: () => void): T {
  return new Proxy(target, { get: (obj, key) => member(obj, key, methods, ms, onTimeout) });
}

/**
 * A client whose every network call is bounded by `ms()` (read at each call: connect, then
 * later). After a timeout the hung connection is closed and the next call opens a fresh one, so
 * the run can still release its lock and say what it knows.
 */
export function withDeadlines(make: () => Client, ms: () => number): Client {
  let current: Client | null = null;
  let closed = false;
  const live = () => {
    if (closed) {
      // Closed by its owner: calls fail (CLIENT_CLOSED) as the client's own would.
      if (!current) (current = make()).close();
      return current;
    }
    if (!current || current.closed) current = make();
    return current;
  };
  const calls: Calls<Client>[] = ['execute', 'batch', 'migrate', 'executeMultiple'];
  const transactionCalls: Calls<Transaction>[] = ['execute', 'batch', 'executeMultiple', 'commit', 'rollback'];
  return new Proxy({} as Client, {
    get(_, key) {
      if (key === 'close') {
        return () => {
          closed = true;
          current?.close();
        };
      }
      if (key === 'closed') return closed;
      const client = live();
      const hang = () => {
        client.close();
        if (current === client) current = null;
      };
      if (key === 'transaction') {
        return (...args: Parameters<Client['transaction']>) =>
          race(client.transaction(...args), ms(), hang).then((tx) => timed(tx, transactionCalls, ms, hang));
      }
      return member(client, key, calls, ms, hang);
    },
  });
}
