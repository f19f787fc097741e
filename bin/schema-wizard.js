#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// The Ink screen (dist/ui) is a front end of its own, handed to the CLI and loaded only when the
// interactive wizard starts: headless commands never load ink or react.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2), process, { wizard: async () => (await import('../dist/ui/run-wizard.js')).showWizard });
// Let stdout drain before exiting (large --json documents through a pipe).
process.exitCode = code;
