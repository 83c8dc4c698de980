import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'coverage/', '.azurite/', '.local/', '.tools/', '.bench/'],
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
  {
    // The core stays pure: bytes in, results out. No file system, network or Azure SDK,
    // and nothing from the adapters (data flows functions -> lib, never back).
    files: ['lib/**/*.ts'],
    // lib/codecs/ may read its own WASM binaries from node_modules once per process.
    ignores: ['lib/cli/**', 'lib/codecs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@azure/*'], message: 'lib/ must not depend on Azure SDKs.' },
            { group: ['**/functions/**'], message: 'lib/ must not import from functions/.' },
            {
              group: [
                'fs',
                'node:fs',
                'fs/*',
                'node:fs/*',
                'net',
                'node:net',
                'http',
                'node:http',
                'https',
                'node:https',
                'child_process',
                'node:child_process',
              ],
              message: 'lib/ is pure: no file system, network or processes.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/functions/**', '@azure/*'], message: 'The CLI uses lib/ only.' },
          ],
        },
      ],
    },
  },
);
