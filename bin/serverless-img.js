#!/usr/bin/env node
// Entry point for `npx serverless-img`: runs the compiled CLI (built by `npm ci` via `prepare`).
// `backfill` talks to Azure (storage, Event Grid): it lives with the adapters in functions/, so
// the imaging CLI in lib/ stays free of Azure SDKs.
const argv = process.argv.slice(2);
if (argv[0] === 'backfill') {
  const { backfillMain } = await import('../dist/functions/backfill/main.js');
  process.exitCode = await backfillMain(argv.slice(1));
} else {
  const { main } = await import('../dist/lib/cli/main.js');
  process.exitCode = await main(argv);
}
