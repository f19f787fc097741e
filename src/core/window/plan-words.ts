/**
 * A phase plan in one line, the same for every front end: what it will do, or why it will not
 * run yet. A phase that waits for the plaintext-keys decision has no statements yet; it is
 * never "already applied".
 */
import type { PhasePlan } from '../model/index.js';
import { PHASES, type PhaseId } from '../sql/index.js';

/** "Phase 1 and Phase 2". */
export function phaseTitles(phases: PhaseId[]): string {
  return phases.map((p) => PHASES[p].title).join(' and ');
}

export function phaseSummaryWords(plan: PhasePlan): string {
  if (plan.status === 'applied') return 'already applied';
  if (plan.decision) {
    const n = plan.decision.keys.count;
    return `waits for your decision: ${n === 1 ? '1 user holds' : `${n} users hold`} a plaintext API key (asked just before Phase 2)`;
  }
  if (plan.status === 'blocked')
    return `blocked: ${plan.conflicts.length === 1 ? '1 conflict' : `${plan.conflicts.length} conflicts`}, nothing will be changed`;
  const n = plan.statements.length;
  return `${n === 1 ? '1 statement' : `${n} statements`}, one atomic write`;
}
