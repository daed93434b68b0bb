// Type-aware linting: floating promises and unsafe `any` flows are the bugs that
// hurt a Temporal worker most, and only the typed rules catch them.
//
// The module boundaries of docs/architecture.md are enforced here, not by comments: workflow code
// (everything the worker's workflow bundle reaches) imports no Node built-in and no I/O module, and
// takes only types from clients, connections, activities and the Temporal client; leaves stay leaves.
// A file gets one setting of a rule (the last matching block's), so each directory's block below
// carries every pattern that applies to it. test/unit/lint-boundaries.test.ts plants violations.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** Packages that do I/O, hold process state, or are too heavy for the workflow sandbox (shared with the bundle check). */
const IO_PACKAGES = JSON.parse(
  readFileSync(new URL('./workflow-boundaries.json', import.meta.url), 'utf8'),
).ioPackages;

/** Production code never imports the simulators statically (demo mode loads them on demand). */
const NO_SIMULATORS = {
  group: ['@togai-zuora-sync/simulators*', '**/packages/simulators/**'],
  allowTypeImports: true,
  message: 'The simulators are a dev package: load them with import() where demo mode needs them.',
};

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
        NO_SIMULATORS,
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
          group: [
            '**/shared/process.js',
            '**/shared/versions.js',
            '**/shared/togai-signature.js',
            '**/shared/startup.js',
            '**/logger.js',
            '**/config.js',
            '**/worker.js',
            '**/gateway.js',
            '**/start.js',
            '**/demo.js',
          ],
          message: 'This module does I/O, reads the environment or is an entry point: not for workflow code.',
        },
      ],
    },
  ],
  // import() would pull anything into the sandbox past the rule above.
  'no-restricted-syntax': [
    'error',
    {
      selector: 'ImportExpression',
      message: 'Workflow code imports statically, and only workflow-safe modules.',
    },
  ],
};

const WORKFLOW_FILES = [
  'src/workflows/**/*.ts',
  'src/flows/**/*.ts',
  'src/mapping/**/*.ts',
  'src/shared/**/*.ts',
];
const NODE_ONLY_SHARED = [
  'src/shared/process.ts',
  'src/shared/versions.ts',
  'src/shared/togai-signature.ts',
  'src/shared/startup.ts',
];

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
    // Production code: no static import of the simulators.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_SIMULATORS] }] },
  },
  {
    // Leaves of the dependency graph: clients know nothing of connections, activities or Temporal.
    files: ['src/clients/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_SIMULATORS,
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
    // The workflow bundle's sources: workflows, flow contracts, pure mapping and the leaf helpers
    // they share (src/shared minus its Node-only modules).
    files: WORKFLOW_FILES,
    ignores: NODE_ONLY_SHARED,
    rules: WORKFLOW_CODE_RULES,
  },
  {
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      // chai-less assertions via node:assert keep tests free of extra deps; mocha's `this` needs function().
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
