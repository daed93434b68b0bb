// Type-aware linting: floating promises and unsafe `any` flows are the bugs that
// hurt a Temporal worker most, and only the typed rules catch them.
//
// The module boundaries of docs/architecture.md are enforced here, not by comments: workflow code
// (everything the worker's workflow bundle reaches) imports no Node built-in and no I/O module, and
// takes only types from clients, connections, activities and the Temporal client; leaves stay leaves.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** Packages that do I/O, hold process state, or are too heavy for the workflow sandbox. */
const IO_PACKAGES = [
  'got',
  'express',
  'pg',
  'better-sqlite3',
  'pino',
  'p-queue',
  'commander',
  'yaml',
  // Validation belongs at the boundary (clients, config, gateway); workflows get parsed data.
  'zod',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

/** Layers whose values would drag I/O into the sandbox; their types are welcome. */
const typesOnly = (layer, why) => ({
  group: [`**/${layer}/**`, `**/${layer}.js`],
  allowTypeImports: true,
  message: why,
});

const WORKFLOW_CODE_RULES = {
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [
        ...NODE_BUILTINS.map((name) => ({
          name,
          message: 'Workflow code is deterministic: no Node built-ins.',
        })),
        ...IO_PACKAGES.map((name) => ({
          name,
          message: 'Workflow code does no I/O: call an activity (src/activities) instead.',
        })),
      ],
      patterns: [
        typesOnly(
          'clients',
          'Workflows call vendors through activities; import client types only (import type).',
        ),
        typesOnly('connections', 'Workflows get connection settings from an activity; import types only.'),
        typesOnly(
          'activities',
          'Workflows call activities through proxyActivities; import their types only.',
        ),
        typesOnly(
          'temporal',
          'src/temporal is the Temporal client side; workflows import @temporalio/workflow.',
        ),
        typesOnly('api', 'The gateway is not workflow code.'),
        typesOnly('devtools', 'Dev tooling is not workflow code.'),
        typesOnly('tzs', 'The CLI is not workflow code.'),
        {
          group: ['**/simulators/**', '@togai-zuora-sync/simulators*'],
          message: 'Simulators are test tooling.',
        },
        {
          group: [
            '**/shared/process.js',
            '**/shared/versions.js',
            '**/shared/togai-signature.js',
            '**/logger.js',
            '**/config.js',
          ],
          message: 'This module does I/O or reads the environment: not for workflow code.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', 'node_modules/**', '.data/**', 'packages/*/contracts/**', 'eslint.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The workflow bundle's sources: workflows, flow contracts, pure mapping and the leaf helpers
    // they share (src/shared minus its Node-only modules).
    files: ['src/workflows/**/*.ts', 'src/flows/**/*.ts', 'src/mapping/**/*.ts', 'src/shared/**/*.ts'],
    ignores: ['src/shared/process.ts', 'src/shared/versions.ts', 'src/shared/togai-signature.ts'],
    rules: WORKFLOW_CODE_RULES,
  },
  {
    // Leaves of the dependency graph: clients know nothing of connections, activities or Temporal.
    files: ['src/clients/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities/**',
                '**/connections/**',
                '**/temporal/**',
                '**/api/**',
                '**/workflows/**',
                '**/tzs/**',
              ],
              message: 'src/clients is a leaf (docs/architecture.md): it may import src/shared only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Production code never imports the simulators statically (demo mode loads them on demand).
    files: ['src/**/*.ts'],
    ignores: ['src/workflows/**/*.ts', 'src/flows/**/*.ts', 'src/mapping/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@togai-zuora-sync/simulators*'],
              allowTypeImports: true,
              message:
                'The simulators are a dev package: load them with import() where demo mode needs them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      // chai-less assertions via node:assert keep tests free of extra deps; mocha's `this` needs function().
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
