import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * What lib/ may not reach, by purpose. The imaging core (lib/*.ts, lib/jpeg/, lib/codecs/) uses
 * none of it; the few files that must have one are named below, each with only what it needs.
 */
const OUTSIDE_WORLD = {
  files: {
    group: ['fs', 'node:fs', 'fs/*', 'node:fs/*', 'module', 'node:module'],
    message:
      'lib/ is pure: no file system (the files that need one are named in eslint.config.js).',
  },
  network: {
    group: ['net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'http2', 'node:http2'],
    message: 'lib/ is pure: no network.',
  },
  processes: {
    group: ['child_process', 'node:child_process', 'cluster', 'node:cluster'],
    message: 'lib/ is pure: no processes.',
  },
  host: {
    group: ['os', 'node:os'],
    message: 'lib/ is pure: no host facts (the CLI reads the CPU count in lib/cli/args.ts).',
  },
  threads: {
    group: ['worker_threads', 'node:worker_threads', 'piscina'],
    message: 'Worker threads belong to the image pool in lib/runner/.',
  },
  terminal: {
    group: ['cli-progress'],
    message: 'Terminal output belongs to the CLI (lib/cli/report.ts).',
  },
  adapters: {
    group: ['@azure/*', '**/functions/**'],
    message: 'lib/ must not depend on Azure SDKs or import from functions/.',
  },
  cli: {
    group: ['**/cli/*', './cli/*'],
    message: 'The core and the image pool do not import the CLI (it drives them, not back).',
  },
  runner: {
    group: ['**/runner/*', './runner/*'],
    message: 'The core does not import the image pool (the pool runs the core).',
  },
};

/** The no-restricted-imports rule with every group but the `allowed` ones. */
function restrictedImports(...allowed) {
  const patterns = Object.entries(OUTSIDE_WORLD)
    .filter(([name]) => !allowed.includes(name))
    .map(([, pattern]) => pattern);
  return { 'no-restricted-imports': ['error', { patterns }] };
}

/** Globals that reach the process or the network; lib/cli/main.ts alone holds `process`. */
const OUTSIDE_GLOBALS = ['fetch', 'WebSocket', 'XMLHttpRequest'].map((name) => ({
  name,
  message: 'lib/ is pure: no network.',
}));
const PROCESS_GLOBAL = {
  name: 'process',
  message: 'lib/ reads no environment or arguments; the CLI entry (lib/cli/main.ts) does.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.azurite/',
      '.local/',
      '.tools/',
      '.bench/',
      '.scratch/',
      // AssemblyScript, compiled by scripts/build-wasm.ts with its own types and checks.
      'lib/jpeg/wasm/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The imaging core stays pure: bytes in, results out. Every file of lib/ starts from here.
  {
    files: ['lib/**/*.ts'],
    rules: {
      ...restrictedImports(),
      'no-restricted-globals': ['error', PROCESS_GLOBAL, ...OUTSIDE_GLOBALS],
    },
  },
  // The exceptions, one file at a time, each with only what it must have.
  {
    // Reads the codecs' WASM binaries from node_modules once per process (Node 20's fetch
    // cannot read file: URLs).
    files: ['lib/codecs/index.ts'],
    rules: restrictedImports('files', 'cli', 'runner'),
  },
  {
    // The image pool: worker threads that run the core (and may be terminated at a time limit).
    files: ['lib/runner/pool.ts', 'lib/runner/worker.ts'],
    rules: restrictedImports('threads', 'runner'),
  },
  // The CLI drives the core and the pool; it reads and writes the user's files.
  {
    files: ['lib/cli/**/*.ts'],
    rules: restrictedImports('cli', 'runner'),
  },
  {
    files: ['lib/cli/inputs.ts', 'lib/cli/job.ts', 'lib/cli/write.ts'],
    rules: restrictedImports('cli', 'runner', 'files'),
  },
  {
    // The default concurrency: the host's CPUs.
    files: ['lib/cli/args.ts'],
    rules: restrictedImports('cli', 'runner', 'host'),
  },
  {
    files: ['lib/cli/report.ts'],
    rules: restrictedImports('cli', 'runner', 'terminal'),
  },
  {
    // The entry point: argv, stdout, stderr and the exit code.
    files: ['lib/cli/main.ts'],
    rules: { 'no-restricted-globals': ['error', ...OUTSIDE_GLOBALS] },
  },
);
