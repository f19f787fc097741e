/** Who is running: recorded in the lock and the journal so others can see whose run it is. */
import os from 'node:os';

export interface OperatorInfo {
  host: string;
  user: string;
  pid: number;
}

export function currentOperator(): OperatorInfo {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // some containers have no passwd entry; keep the environment's name
  }
  return { host: os.hostname(), user, pid: process.pid };
}

/** A sortable, identifier-safe run id: r20261124T150102Z7f3a. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const random = Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0');
  return `r${stamp}${random}`;
}
