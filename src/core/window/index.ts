/**
 * window/: The maintenance window: the checklist run in order, the questions asked of the operator
 * and their choices, stopping, recovery, the end and its report files. May import every stage
 * above except demo.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { type Choices, choicesFor } from './choices.js';
export { endingExitCode, OUTCOME_WORDS, windowExitCode } from './outcomes.js';
export { phaseSummaryWords } from './plan-words.js';
export { type Answer, type AnswerTo, type Decider, type Question, typedConfirmation, YES_DECIDER } from './questions.js';
export { finishWindow } from './report-files.js';
export { runWindow, type WindowResult } from './run-window.js';
