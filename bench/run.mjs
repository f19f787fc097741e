#!/usr/bin/env node
// `npm run bench [-- --sizes 1k,10k,100k] [--runs 5] [--cache DIR] [--seed 1] [--json] [--save FILE]`
//
// Times schema-wizard's headless full run against stock sqlite3 doing the same work, on generated
// v1 databases (cached, always used through copies), plus SQL dumps (local and over the loopback
// Hrana server), write throughput and storage before/after the migration, and CLI cold start.
// Markdown on stdout (JSON with --json); progress on stderr. Exit 0 when every command ran and
// did its job; 1 if one failed. Timing targets are reported as PASS/MISS, never enforced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, SQLITE3, StepFailed, timed } from './lib/exec.mjs';
import { cachedDatabase, copyOf, parseSize, sizeLabel, storage } from './lib/datasets.mjs';
import { renderMarkdown, summarize } from './lib/report.mjs';
import { plaintextKeys } from './lib/keys.mjs';
import { largeValue } from './lib/large-value.mjs';
import { coldStart, dumps, planSql, remoteApply, sqliteSteps, toolOneShot, toolSteps, toolWizard, writeThroughput } from './lib/steps.mjs';

const USAGE = `usage: node bench/run.mjs [--sizes 1k,10k,100k] [--runs N] [--cache DIR] [--seed N] [--json] [--save FILE] [--key-users N] [--large-value-mb N] [--remote-delays MS,...]
  --sizes  comma-separated: 1k, 10k, 100k or plain numbers of memories (default 1k,10k,100k)
  --runs   repeated measurements: write throughput runs (>= 5 recommended); cold start uses max(10, 2N)
  --cache  where generated databases and scratch copies live (default bench/.cache)
  --seed   generator seed (default 1)
  --json   print one JSON document instead of markdown
  --save   also write the JSON document to this file (keeps the raw numbers of a markdown run)
  --key-users  users holding plaintext keys for the --hash-plaintext-keys measurement (default 500000; 0 skips it)
  --large-value-mb  size of the one learned_patterns BLOB for the bounded-memory measurement (default 400; 0 skips it)
  --remote-delays  per-request delays (ms) of the loopback server for the remote apply (default 0,50,150; "" skips it)`;

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1k,10k,100k' },
      runs: { type: 'string', default: '5' },
      cache: { type: 'string', default: path.join(ROOT, 'bench', '.cache') },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      save: { type: 'string' },
      'key-users': { type: 'string', default: '500000' },
      'large-value-mb': { type: 'string', default: '400' },
      'remote-delays': { type: 'string', default: '0,50,150' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not "${values.runs}"`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not "${values.seed}"`);
  const keyUsers = Number(values['key-users']);
  if (!Number.isInteger(keyUsers) || keyUsers < 0) throw new Error(`--key-users must be a non-negative integer, not "${values['key-users']}"`);
  const largeValueMb = Number(values['large-value-mb']);
  if (!Number.isInteger(largeValueMb) || largeValueMb < 0 || largeValueMb > 900)
    throw new Error(`--large-value-mb must be an integer from 0 to 900, not "${values['large-value-mb']}"`);
  const remoteDelays = values['remote-delays'] === '' ? [] : values['remote-delays'].split(',').map(Number);
  if (remoteDelays.some((d) => !Number.isInteger(d) || d < 0 || d > 10_000))
    throw new Error(`--remote-delays must be integers from 0 to 10000 ms, not "${values['remote-delays']}"`);
  return {
    sizes: values.sizes.split(',').map(parseSize),
    remoteDelays,
    runs,
    seed,
    cache: path.resolve(values.cache),
    json: values.json,
    save: values.save,
    keyUsers,
    largeValueMb,
  };
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`);

async function machine() {
  const sqliteVersion = (await timed(SQLITE3, ['--version'])).stdout.trim().split(' ').slice(0, 2).join(' ');
  // Which build was measured (null outside a git checkout, e.g. a `git archive` snapshot).
  const git = await timed('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).catch(() => null);
  const commit = git?.code === 0 ? git.stdout.trim() : null;
  return {
    commit,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    sqlite3: sqliteVersion,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** Every measurement of one size; the work directory (GBs at 100k) is removed afterwards. */
async function benchSize(memories, opts) {
  const label = sizeLabel(memories);
  log(`== ${label}`);
  const { file: v1, options: dataset, generatedMs } = await cachedDatabase(opts.cache, memories, opts.seed, log);
  // The 1-minute load average before and after: the machine may be shared, and timings with it.
  const loadBefore = os.loadavg()[0];
  const work = path.join(opts.cache, `work-${label}-${process.pid}`);
  fs.mkdirSync(work, { recursive: true });
  try {
    const toolDb = copyOf(v1, path.join(work, 'tool.db'));
    const sqliteDb = copyOf(v1, path.join(work, 'sqlite3.db'));
    const tool = await toolSteps(toolDb, work, log);
    const sqlite3 = await sqliteSteps(sqliteDb, work, await planSql(sqliteDb), log);
    fs.rmSync(sqliteDb);

    const oneShotDb = copyOf(v1, path.join(work, 'oneshot.db'));
    const oneShot = await toolOneShot(oneShotDb, work, log);
    fs.rmSync(oneShotDb);
    const wizardDb = copyOf(v1, path.join(work, 'wizard.db'));
    const wizard = await toolWizard(wizardDb, work, log);
    fs.rmSync(wizardDb);
    const remote = await remoteApply(v1, work, opts.remoteDelays, log);

    // A v1 copy for the dumps, then for the "before" writes (dumps only read it).
    const v1Copy = copyOf(v1, path.join(work, 'v1.db'));
    const dumpResults = await dumps(v1Copy, work, log, opts.failures);
    // Storage before writes change anything: the v1 file vs the tool-migrated file.
    const storageResults = { before: await storage(v1Copy), after: await storage(toolDb) };
    const writes = await writeThroughput(v1Copy, toolDb, opts.runs, log);

    const load = { before: loadBefore, after: os.loadavg()[0] };
    const size = { memories, options: dataset, generatedMs, load, tool, sqlite3, oneShot, wizard, remote, dumps: dumpResults, storage: storageResults, writes };
    size.summary = summarize(size);
    return size;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  let opts;
  try {
    opts = { ...options(), failures: [] };
  } catch (error) {
    // A bad flag or size: say which, show the usage, exit 2 (nothing was measured).
    process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const started = new Date();
  const results = {
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    date: started.toISOString(),
    machine: await machine(),
    runs: opts.runs,
    seed: opts.seed,
    sizes: [],
  };
  results.coldStart = await coldStart(Math.max(10, 2 * opts.runs), log);
  for (const memories of opts.sizes) results.sizes.push(await benchSize(memories, opts));
  if (opts.keyUsers > 0) {
    const work = path.join(opts.cache, `work-keys-${process.pid}`);
    fs.mkdirSync(work, { recursive: true });
    try {
      results.plaintextKeys = await plaintextKeys(work, opts.keyUsers, log);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  if (opts.largeValueMb > 0) {
    const work = path.join(opts.cache, `work-large-${process.pid}`);
    fs.mkdirSync(work, { recursive: true });
    try {
      results.largeValue = await largeValue(work, opts.largeValueMb, log);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  results.totalSeconds = (Date.now() - started.getTime()) / 1000;
  results.failures = opts.failures;
  log(`done in ${results.totalSeconds.toFixed(0)} s`);
  if (opts.save) fs.writeFileSync(opts.save, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(opts.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderMarkdown(results)}\n`);
  // Everything was measured, but a command failed: the harness run is not a success.
  for (const failure of opts.failures) log(`FAILED: ${failure}`);
  if (opts.failures.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  log(error instanceof StepFailed ? `FAILED: ${error.message}` : `FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
});
