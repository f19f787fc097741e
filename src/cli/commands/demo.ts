/**
 * `demo`: builds a sample v1 MCP Memory database (all 9 tables, rows, a few plaintext keys,
 * some learned_patterns rows) to try the tool on. `--demo` runs the whole migration on one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createV1Database, UserError } from '../../core/index.js';
import type { CommandLine } from '../args.js';
import type { CommandHandler } from '../command.js';

export async function makeDemoDatabase(out?: string): Promise<string> {
  const file = out ? path.resolve(out) : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-wizard-demo-')), 'mcp-memory-demo.db');
  if (fs.existsSync(file)) throw new UserError(`${file} already exists.`, { hint: 'Choose a new --out path for the demo database.' });
  await createV1Database(file, { users: 8, memories: 400, learnedPatterns: 12, plaintextKeys: 3 });
  return file;
}

export const demoCommand: CommandHandler = async (cli) => {
  const file = await makeDemoDatabase(cli.out);
  return {
    exitCode: 0,
    json: { db: file },
    text: `Demo MCP Memory v1 database: ${file}\nTry: schema-wizard plan --db ${file}`,
  };
};

/** The demo database's command line: the same flags, pointed at a fresh demo file. */
export async function withDemoDatabase(cli: CommandLine): Promise<CommandLine> {
  const db = await makeDemoDatabase();
  return { ...cli, db, backupDir: cli.backupDir === 'backups' ? path.join(path.dirname(db), 'backups') : cli.backupDir };
}
