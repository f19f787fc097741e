/**
 * The WebSocket transport's deadlines: a server that takes a write and then stops answering
 * ends the call with an error that says the outcome is unknown (never "rolled back"), and the
 * same database handle works again on a fresh connection, where the write is found committed.
 */
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/core/db/db.js';
import { resolveTarget } from '../src/core/db/target.js';
import { WRITE_OUTCOME_UNKNOWN } from '../src/core/model/errors.js';
import { v1Database } from './support/fixtures.js';
import { startHranaServer } from './support/hrana/start.js';

describe('WebSocket deadlines', () => {
  it('a write whose answer never comes is an unknown outcome; the next call reconnects and finds it committed', async () => {
    const file = await v1Database();
    const server = await startHranaServer({ dbPath: file });
    const db = await openDb(resolveTarget({ db: server.wsUrl, authToken: server.token }), { requestTimeoutMs: 1_000 });
    try {
      await db.atomicWrite([{ sql: 'CREATE TABLE probe (x)' }]);
      await server.stallAnswers(5_000);
      const started = Date.now();
      const failed = await db.atomicWrite([{ sql: 'INSERT INTO probe VALUES (1)' }]).then(
        () => null,
        (error: unknown) => error as Error & { code?: string },
      );
      expect(failed?.code).toBe(WRITE_OUTCOME_UNKNOWN);
      expect(failed?.message).toMatch(/failed while a write was in flight \(no answer before the timeout\): the server ran the whole write or none of it/);
      // Well before the answer would have come (5 s): the 1 s deadline ended the call.
      expect(Date.now() - started).toBeLessThan(4_500);
      await new Promise((resolve) => setTimeout(resolve, 5_000 - (Date.now() - started) + 200)); // the stall window ends
      expect((await db.query('SELECT count(*) AS n FROM probe'))[0].n).toBe(1n);
    } finally {
      db.close();
      await server.stop();
    }
  });
});
