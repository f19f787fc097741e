/** The verification report's shape: the JSON of `verify --json` and what the wizard lists. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'pending';

/** Which promise a check belongs to: a phase, or the database as a whole. */
export type CheckPhase = 'phase1' | 'phase2' | 'schema' | 'data' | 'integrity' | 'queries';

export interface Check {
  name: string;
  phase: CheckPhase;
  status: CheckStatus;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  checks: Check[];
  /** Phase states as measured: applied, partial or pending. */
  phases: Record<'phase1' | 'phase2', 'applied' | 'partial' | 'pending'>;
}
