#!/usr/bin/env node
// Entry point for `npx serverless-img`: runs the compiled CLI (built by `npm ci` via `prepare`).
import { main } from '../dist/lib/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
