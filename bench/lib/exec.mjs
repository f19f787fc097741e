// Running processes under /usr/bin/time: every measured step is a real, separate process, so the
// numbers include what an operator pays (node start-up, opening the file) and nothing else.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'bin', 'schema-wizard.js');
export const SQLITE3 = '/usr/bin/sqlite3';
const TIME = '/usr/bin/time';

let seq = 0;

/**
 * Runs `cmd args` under `/usr/bin/time -f '%e %M'` and resolves with
 * { ms, timeS, rssKiB, code, stdout, stderr }. `ms` is the harness clock around the process
 * (sub-millisecond; %e only has 10 ms resolution, useless for the 1k sqlite3 steps); `timeS` is
 * time's own %e, kept as a cross-check. The report goes to a file (-o) so it never mixes with the
 * command's stderr. `stdoutFile` sends stdout to a file instead of memory (SQL dumps are GBs).
 */
export function timed(cmd, args, { stdoutFile, cwd = ROOT } = {}) {
  const timeFile = path.join(os.tmpdir(), `sw-bench-${process.pid}-${seq++}.time`);
  const out = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'pipe';
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ['-o', timeFile, '-f', '%e %M', cmd, ...args], { cwd, stdio: ['ignore', out, 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout?.on('data', (d) => stdout.push(d));
    child.stderr.on('data', (d) => stderr.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (typeof out === 'number') fs.closeSync(out);
      // On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
      const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      fs.rmSync(timeFile, { force: true });
      const [timeS, rssKiB] = last.split(' ').map(Number);
      resolve({ ms, timeS, rssKiB, code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}

/**
 * A command that did not do its job. It carries the process's timing (`result`): a failure that
 * comes at the end of a long step (a backup whose verification fails) still says what it cost.
 */
export class StepFailed extends Error {
  constructor(message, result, reason) {
    super(message);
    this.result = result;
    this.reason = reason;
  }
}

function failure(what, r, detail) {
  const tail = r.stderr.trim().split('\n').slice(-5).join('\n    ');
  return new StepFailed(
    `${what} failed (exit ${r.code}${detail ? `, ${detail}` : ''})\n    ${tail}`,
    { ms: r.ms, timeS: r.timeS, rssKiB: r.rssKiB },
    detail ?? `exit ${r.code}`,
  );
}

/**
 * Runs `schema-wizard ARGS --json` and checks its verdict: exit 0, ok: true, and no failed
 * verify check or smoke test (a plaintext-key WARN is not a failure; verify exits 3 on a fail).
 */
export async function tool(args) {
  const r = await timed(process.execPath, [CLI, ...args, '--json']);
  // Never print a token, even the harness's throwaway one.
  const what = `schema-wizard ${args.map((a, i) => (args[i - 1] === '--auth-token' ? '***' : a)).join(' ')}`;
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw failure(what, r, 'no JSON document on stdout');
  }
  const failed = [...(json.checks ?? []), ...(json.tests ?? [])].filter((c) => c.status === 'fail').map((c) => c.name);
  if (r.code !== 0 || json.ok !== true || failed.length > 0) throw failure(what, r, failed.length ? `failed: ${failed.join(', ')}` : json.error?.message);
  return { ...r, json };
}

/** Runs SQL through stock sqlite3 (-bail: the first error stops it with a non-zero exit; `cmd`: a dot command first). */
export async function sqlite(db, sql, options = {}) {
  const r = await timed(SQLITE3, ['-bail', ...(options.cmd ? ['-cmd', options.cmd] : []), db, sql], options);
  if (r.code !== 0 || /^(Error|Parse error|Runtime error)/m.test(r.stderr)) throw failure(`sqlite3 ${db} ${sql.slice(0, 60)}`, r);
  return r;
}

/** PRAGMA integrity_check through sqlite3; anything but "ok" is a failed step. */
export async function sqliteIntegrity(db) {
  const r = await sqlite(db, 'PRAGMA integrity_check;');
  if (r.stdout.trim() !== 'ok') throw failure(`sqlite3 integrity_check ${db}`, r, r.stdout.trim().slice(0, 200));
  return r;
}

/**
 * Starts the loopback Hrana server on a database file and resolves with { url, token, stop }.
 * It prints one line `{"port":N}` once listening. `delayMs` answers every request that late: a
 * network's round trip, on loopback.
 */
export function startHrana(db, token, { delayMs = 0 } = {}) {
  const args = [path.join(ROOT, 'test/support/hrana/server.mjs'), '--db', db, '--token', token, '--port', '0', '--delay-ms', String(delayMs)];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.on('error', reject);
    child.once('exit', (code) => reject(new StepFailed(`hrana server exited before listening (${code})`)));
    child.stdout.on('data', function onData(d) {
      buffered += d;
      if (!buffered.includes('\n')) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // it prints nothing else, but never let a full pipe block it
      const { port } = JSON.parse(buffered.split('\n')[0]);
      resolve({
        url: `http://127.0.0.1:${port}`,
        stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.kill('SIGTERM')))),
      });
    });
  });
}
