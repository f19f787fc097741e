/**
 * demo/: The demo database (v1 schema with generated rows) for --demo and the benchmark. May
 * import every other stage.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { createV1Database } from './demo.js';
