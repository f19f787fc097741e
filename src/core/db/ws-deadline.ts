/**
 * Deadlines for the WebSocket transport. Over HTTP every request is a fetch with a timeout
 * signal; over ws:// and wss:// the client has no fetch, so a server that accepts the socket and
 * then never answers would hold a run forever. Each call of the client, and of a transaction it
 * opens, races the deadline; when it passes, the client is closed (its socket with it, which ends
 * the server's stream and rolls back a transaction left open) and the call fails with a
 * TimeoutError that translateError words as "no answer before the timeout".
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

/**
 * `target` with each of `methods` racing the deadline; each of `wrapping` also races it and its
 * result is passed through the given function (a transaction gets deadlines of its own).
 */
function timed<T extends object>(
  target: T,
  methods: Calls<T>[],
  ms: () => number,
  onTimeout: () => void,
  wrapping: Partial<Record<Calls<T>, (value: unknown) => unknown>> = {},
): T {
  return new Proxy(target, {
    get(obj, key) {
      // The target as receiver: getters that read private fields must see the object, not the proxy.
      const value = Reflect.get(obj, key, obj);
      if (typeof value !== 'function') return value;
      const wrap = wrapping[key as Calls<T>];
      if (!methods.includes(key as Calls<T>) && !wrap) return value.bind(obj);
      return (...args: unknown[]) => {
        const result = race(Promise.resolve(value.apply(obj, args)), ms(), onTimeout);
        return wrap ? result.then(wrap) : result;
      };
    },
  });
}

/** The client with every network call bounded by `ms()` (read at each call: connect, then later). */
export function withDeadlines(client: Client, ms: () => number): Client {
  const close = () => client.close();
  const transactionCalls: Calls<Transaction>[] = ['execute', 'batch', 'executeMultiple', 'commit', 'rollback'];
  const timedTransaction = (value: unknown) => timed(value as Transaction, transactionCalls, ms, close);
  return timed(client, ['execute', 'batch', 'migrate', 'executeMultiple'], ms, close, { transaction: timedTransaction });
}
