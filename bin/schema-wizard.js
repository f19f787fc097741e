#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (large --json documents through a pipe).
process.exitCode = code;
