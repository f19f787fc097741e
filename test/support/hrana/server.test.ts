// The loopback Hrana server must behave like a real Turso/sqld server towards the REAL @libsql/client,
// otherwise tests built on it would prove nothing about the remote code paths. Never mock the client here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import { startHranaServer, type HranaServer } from './start.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Setup {
  server: HranaServer;
  /** Client talking Hrana over HTTP to the test server. */
  remote: Client;
  /** Client on the same file, bypassing the server: the ground truth for "what is committed". */
  local: Client;
  dir: string;
}

async function setup(opts: { streamIdleMs?: number } = {}): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hrana-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await startHranaServer({ dbPath: path.join(dir, 'test.db'), ...opts });
  cleanups.push(() => server.stop());
  const remote = createClient({ url: server.url, authToken: server.token });
  cleanups.push(() => remote.close());
  const local = createClient({ url: `file:${path.join(dir, 'test.db')}` });
  cleanups.push(() => local.close());
  return { server, remote, local, dir };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Poll until `check` holds; the deadline only guards against hanging forever. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tableNames(client: Client): Promise<string[]> {
  const rs = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  return rs.rows.map((row) => String(row.name));
}

async function column(client: Client, sql: string): Promise<unknown[]> {
  const rs = await client.execute(sql);
  return rs.rows.map((row) => row[0]);
}

describe('hrana test server with the real @libsql/client', () => {
  it('round-trips values exactly: 64-bit integers as strings on the wire, floats, text, blobs', async () => {
    const { server, remote } = await setup();
    await remote.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, r REAL, s TEXT, b BLOB)');
    const big = 9007199254740993n; // 2^53 + 1: a JS number would silently round it
    const ins = await remote.execute({
      sql: 'INSERT INTO t (big, r, s, b) VALUES (?, ?, ?, ?)',
      args: [big, 1.5, 'héllo; "quoted"', new Uint8Array([0, 1, 255])],
    });
    expect(ins.rowsAffected).toBe(1);
    expect(ins.lastInsertRowid).toBe(1n);

    const exact = createClient({ url: server.url, authToken: server.token, intMode: 'bigint' });
    cleanups.push(() => exact.close());
    const rs = await exact.execute('SELECT id, big, r, s, b, -9223372036854775808 AS min FROM t');
    expect(rs.columns).toEqual(['id', 'big', 'r', 's', 'b', 'min']);
    expect(rs.columnTypes).toEqual(['INTEGER', 'INTEGER', 'REAL', 'TEXT', 'BLOB', '']);
    const row = rs.rows[0];
    expect(row.id).toBe(1n);
    expect(row.big).toBe(big);
    expect(row.min).toBe(-9223372036854775808n);
    expect(row.r).toBe(1.5);
    expect(row.s).toBe('héllo; "quoted"');
    expect([...new Uint8Array(row.b as ArrayBuffer)]).toEqual([0, 1, 255]);

    // Default intMode: safe integers come back as plain numbers.
    const plain = await remote.execute('SELECT id FROM t');
    expect(plain.rows[0].id).toBe(1);
    // A SELECT reports no affected rows and no rowid, like sqld.
    expect(plain.rowsAffected).toBe(0);
    expect(plain.lastInsertRowid).toBeUndefined();

    // The client sends JS numbers as floats and bigints as integers; sqld binds them as REAL / INTEGER.
    const types = await remote.execute({ sql: 'SELECT typeof(?), typeof(?)', args: [42, 42n] });
    expect([types.rows[0][0], types.rows[0][1]]).toEqual(['real', 'integer']);
  });

  it('binds named arguments with or without prefix and rejects argument count mismatches', async () => {
    const { remote } = await setup();
    const rs = await remote.execute({ sql: 'SELECT :a AS a, $b AS b, @a AS c', args: { a: 1n, $b: 'x' } });
    expect(rs.rows[0].a).toBe(1);
    expect(rs.rows[0].b).toBe('x');
    expect(rs.rows[0].c).toBe(1);

    // The engine alone would bind missing arguments as NULL and ignore extra ones; a server refuses both.
    expect((await failure(remote.execute({ sql: 'SELECT ?, ?', args: [1] }))).code).toBe('ARGS_INVALID');
    expect((await failure(remote.execute({ sql: 'SELECT ?', args: [1, 2] }))).code).toBe('ARGS_INVALID');
    expect((await failure(remote.execute({ sql: 'SELECT :a', args: { b: 1 } }))).code).toBe('ARGS_INVALID');
  });

  it('reports SQLite errors with the primary result code', async () => {
    const { remote } = await setup();
    await remote.execute('CREATE TABLE u (x INTEGER UNIQUE)');
    await remote.execute('INSERT INTO u VALUES (1)');
    const dup = await failure(remote.execute('INSERT INTO u VALUES (1)'));
    expect(dup.code).toBe('SQLITE_CONSTRAINT'); // not SQLITE_CONSTRAINT_UNIQUE
    expect(dup.message).toContain('SQLite error: UNIQUE constraint failed: u.x');
    expect((await failure(remote.execute('SELECT * FROM missing'))).code).toBe('SQLITE_ERROR');
  });

  it('batch("write") is atomic: a failing step leaves no trace of earlier steps', async () => {
    const { remote, local } = await setup();
    await remote.execute('CREATE TABLE u (x INTEGER UNIQUE)');
    await remote.execute('INSERT INTO u VALUES (1)');
    const err = await failure(
      remote.batch(
        [
          { sql: 'INSERT INTO u VALUES (?)', args: [2] },
          { sql: 'INSERT INTO u VALUES (?)', args: [1] },
        ],
        'write',
      ),
    );
    expect(err.code).toBe('SQLITE_CONSTRAINT');
    expect(await column(local, 'SELECT x FROM u ORDER BY x')).toEqual([1]);
  });

  it('refuses a multi-statement string with SQL_MANY_STATEMENTS and runs none of it', async () => {
    const { server, remote, local } = await setup();
    await server.resetStats();
    const err = await failure(remote.execute('CREATE TABLE a (x); CREATE TABLE b (x)'));
    expect(err.code).toBe('SQL_MANY_STATEMENTS');
    expect(await tableNames(local)).toEqual([]);
    expect((await server.stats()).statements).toBe(0);

    // `;` inside quotes and comments, and a trailing `;`, do not make a second statement.
    const rs = await remote.execute(`SELECT 'a;b' AS "x;y" /* ; */ -- ;\n;`);
    expect(rs.rows[0]['x;y']).toBe('a;b');
  });

  it('refuses a whole batch when one step holds several statements', async () => {
    const { server, remote, local } = await setup();
    await remote.execute('CREATE TABLE v (x)');
    await server.resetStats();
    const err = await failure(remote.batch(['INSERT INTO v VALUES (1)', 'INSERT INTO v VALUES (2); INSERT INTO v VALUES (3)'], 'write'));
    expect(err.code).toBe('SQL_MANY_STATEMENTS');
    expect(await column(local, 'SELECT count(*) FROM v')).toEqual([0]);
    expect((await server.stats()).statements).toBe(0); // not even the BEGIN ran
  });

  it('refuses empty SQL with SQL_NO_STATEMENT', async () => {
    const { remote } = await setup();
    for (const sql of ['', '   ', '-- only a comment', '/* c */ ;']) {
      expect((await failure(remote.execute(sql))).code, sql).toBe('SQL_NO_STATEMENT');
    }
  });

  it('refuses statements a real server does not allow with SQL_PARSE_ERROR', async () => {
    const { remote, dir } = await setup();
    const intoFile = path.join(dir, 'copy.db');
    const refused = [
      'VACUUM',
      `vacuum into '${intoFile}'`,
      'ANALYZE',
      'create temp table tt (x)',
      'CREATE TEMPORARY VIEW tv AS SELECT 1',
      'PRAGMA journal_mode=WAL',
      'pragma main.journal_mode = delete',
      'PRAGMA legacy_alter_table=ON',
      `ATTACH DATABASE '${path.join(dir, 'other.db')}' AS other`,
      'DETACH DATABASE other',
      '/* leading comment */ -- and another\n  Vacuum',
      'SELEC 1', // syntax errors come from the server's parser, before anything runs
    ];
    for (const sql of refused) {
      expect((await failure(remote.execute(sql))).code, sql).toBe('SQL_PARSE_ERROR');
    }
    expect(fs.existsSync(intoFile)).toBe(false);
    // Reading the journal mode is fine.
    expect((await remote.execute('PRAGMA journal_mode')).rows).toHaveLength(1);
  });

  it('rejects a wrong or missing token with HTTP 401', async () => {
    const { server, remote } = await setup();
    const wrong = createClient({ url: server.url, authToken: 'not-the-token' });
    const none = createClient({ url: server.url });
    cleanups.push(
      () => wrong.close(),
      () => none.close(),
    );
    for (const client of [wrong, none]) {
      const err = await failure(client.execute('SELECT 1'));
      expect(err.code).toBe('SERVER_ERROR');
      expect(err.message).toContain('Server returned HTTP status 401');
    }
    expect((await remote.execute('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('answers an unknown baton with HTTP 400', async () => {
    const { server } = await setup();
    const res = await fetch(`${server.url}/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: 'no-such-baton', requests: [{ type: 'close' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('invalid baton');
  });

  it('rolls back an interactive transaction that is closed without commit', async () => {
    const { server, remote, local } = await setup();
    await remote.execute('CREATE TABLE w (x)');
    const tx = await remote.transaction('write');
    await tx.execute('INSERT INTO w VALUES (1)');
    expect((await tx.execute('SELECT count(*) FROM w')).rows[0][0]).toBe(1); // same connection
    tx.close();
    // close() sends the `close` request asynchronously.
    await waitFor(async () => (await server.stats()).openStreams === 0);
    expect(await column(local, 'SELECT count(*) FROM w')).toEqual([0]);

    // And the commit path keeps the row.
    const tx2 = await remote.transaction('write');
    await tx2.execute('INSERT INTO w VALUES (2)');
    await tx2.commit();
    expect(await column(local, 'SELECT x FROM w')).toEqual([2]);
  });

  it('expires an idle stream: its transaction is rolled back and the next call fails', async () => {
    const { server, remote, local } = await setup({ streamIdleMs: 300 });
    await remote.execute('CREATE TABLE e (x)');
    await server.resetStats();
    const tx = await remote.transaction('write');
    await tx.execute('INSERT INTO e VALUES (1)');
    await waitFor(async () => (await server.stats()).expiredStreams === 1);

    const err = await failure(tx.execute('SELECT 1'));
    expect(err.code).toBe('STREAM_EXPIRED');
    tx.close();
    expect(await column(local, 'SELECT count(*) FROM e')).toEqual([0]);
    // The write lock went with the expired stream.
    await remote.execute('INSERT INTO e VALUES (2)');
    expect(await column(local, 'SELECT x FROM e')).toEqual([2]);
  });

  it('counts one HTTP request and one pipeline for one client batch', async () => {
    const { server, remote } = await setup();
    await remote.execute('CREATE TABLE s (x)');
    await server.resetStats();
    await remote.batch(['INSERT INTO s VALUES (1)', 'INSERT INTO s VALUES (2)'], 'write');
    const stats = await server.stats();
    // BEGIN, two inserts, COMMIT; the ROLLBACK step is skipped by its condition.
    expect({ requests: stats.requests, pipelines: stats.pipelines, statements: stats.statements }).toEqual({
      requests: 1,
      pipelines: 1,
      statements: 4,
    });
  });

  it('accepts CREATE TRIGGER ... BEGIN ...; ...; END as one statement', async () => {
    const { remote, local } = await setup();
    await remote.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    await remote.execute('CREATE TABLE log (msg TEXT)');
    await remote.execute(`CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
      INSERT INTO log VALUES ('added; ' || NEW.name);
      INSERT INTO log VALUES (CASE WHEN NEW.id > 1 THEN 'more' ELSE 'first' END);
    END;`);
    await remote.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['a'] });
    expect(await column(local, 'SELECT msg FROM log ORDER BY rowid')).toEqual(['added; a', 'first']);

    // In a sequence the trigger ends at `; END ;` and the next statement still runs.
    await remote.executeMultiple(`
      CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN INSERT INTO log VALUES ('gone'); END;
      DELETE FROM items;`);
    expect(await column(local, 'SELECT msg FROM log ORDER BY rowid')).toEqual(['added; a', 'first', 'gone']);

    // A trigger followed by another statement is still two statements for execute().
    const err = await failure(remote.execute('CREATE TRIGGER t3 AFTER INSERT ON items BEGIN SELECT 1; END; SELECT 2'));
    expect(err.code).toBe('SQL_MANY_STATEMENTS');
  });

  it('makes the client fail once the server is killed', async () => {
    const { server, remote } = await setup();
    expect((await remote.execute('SELECT 1 AS one')).rows[0].one).toBe(1);
    server.kill();
    await expect(remote.execute('SELECT 1')).rejects.toThrow();
  });
});
