/**
 * The guide's "Performance Impact" table with measured values: the journal's before-stats of
 * the first applied phase next to the database now. Write speed is not something a read-only
 * command can measure; the benchmark does (npm run bench).
 */
import type { BeforeStats, JournalEntry } from '../engine/index.js';
import type { Stats } from './stats.js';

export interface ImpactRow {
  metric: string;
  before: number;
  after: number;
  change: number;
  /** Change in percent of before, one decimal. */
  percent: number;
  guideClaim: string;
}

export interface Impact {
  measuredBeforeAt: string;
  rows: ImpactRow[];
  notMeasured: { metric: string; guideClaim: string; where: string }[];
}

export function impactOf(journal: JournalEntry[], stats: Stats): Impact | null {
  const first = journal.find((e) => e.action === 'apply' && e.undoneBy === null && e.beforeStats);
  if (!first?.beforeStats) return null;
  const before: BeforeStats = first.beforeStats;
  const usedNow = stats.size.bytes - stats.size.freeBytes;
  const row = (metric: string, b: number, a: number, guideClaim: string): ImpactRow => ({
    metric,
    before: b,
    after: a,
    change: a - b,
    percent: b === 0 ? 0 : Math.round(((a - b) / b) * 1000) / 10,
    guideClaim,
  });
  return {
    measuredBeforeAt: first.startedAt,
    rows: [
      row('Tables', before.tables, stats.counts.tables, '9 -> 8 (-11%)'),
      row('Indexes', before.indexes, stats.counts.indexes, '23 -> 11 (-52%); its own list gives 13'),
      row('Triggers', before.triggers, stats.counts.triggers, 'unchanged'),
      row('Storage in use (bytes)', before.bytes - before.freeBytes, usedNow, '-15%'),
      row('File size (bytes)', before.bytes, stats.size.bytes, '-15%'),
    ],
    notMeasured: [{ metric: 'Write performance', guideClaim: '+20%', where: 'npm run bench (docs/benchmarks.md)' }],
  };
}
