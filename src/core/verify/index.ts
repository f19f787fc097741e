/**
 * verify/: What is proven after a phase: schema checks, query plans, smoke tests, stats and their
 * impact. May import model, sql, db, proof, engine and backup.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { type Impact, impactOf } from './impact.js';
export { runSmoke, type SmokeTest } from './smoke.js';
export { collectStats, type Stats } from './stats.js';
export { runVerify } from './verify.js';
