/**
 * `npm run infra:check`: obtains the real Bicep CLI (NuGet, via `dotnet restore`), builds every
 * top-level template and parameters file, lints every template with bicep/bicepconfig.json, then
 * runs the invariant tests over the compiled ARM JSON (test/bicep/). Any diagnostic fails it.
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import {
  BicepError,
  INSTALL_HINT,
  ROOT,
  bicepVersion,
  buildAllParams,
  buildTemplates,
  ensureBicep,
  lintAll,
} from './bicep-cli.js';

/** Runs one named step, printing its outcome and duration. */
function step<T>(label: string, run: () => T): T {
  const started = Date.now();
  const result = run();
  console.log(`ok   ${label} (${Date.now() - started} ms)`);
  return result;
}

function main(): number {
  try {
    const cli = step(`Bicep CLI ${bicepVersion()}`, () => ensureBicep());
    console.log(`     ${relative(ROOT, cli)}`);
    const templates = step('bicep build bicep/*.bicep', () => buildTemplates());
    const params = step('bicep build-params bicep/*.bicepparam', () => buildAllParams());
    step('bicep lint bicep/**/*.bicep bicep/**/*.bicepparam', () => lintAll());
    for (const path of [...Object.values(templates), ...Object.values(params)]) {
      console.log(`     ${relative(ROOT, path)}`);
    }
  } catch (error) {
    if (error instanceof BicepError) {
      console.error(`FAIL ${error.code}: ${error.message}`);
      if (error.code === 'BICEP_UNAVAILABLE') console.error(`\n${INSTALL_HINT}`);
      return 1;
    }
    throw error;
  }
  const tests = spawnSync('npx', ['mocha', '--config', 'test/bicep/.mocharc.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return tests.status ?? 1;
}

process.exitCode = main();
