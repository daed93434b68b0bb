import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

/**
 * The module boundaries of docs/architecture.md are lint rules (eslint.config.js): this plants
 * violations in the source tree, lints them with the project's own configuration, and checks each
 * is reported with the rule and a message that says what to do; the allowed imports beside them
 * must pass. The planted files are removed whatever happens.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Plant {
  path: string;
  code: string;
  /** Substrings of the imports that must be reported, one per violation. */
  refused: string[];
}

const PLANTS: Plant[] = [
  {
    path: 'src/workflows/zz-planted-violation.ts',
    code: [
      "import { readFileSync } from 'node:fs';",
      "import { ZuoraClient } from '../clients/zuora/client.js';",
      "import type { ZuoraAccount } from '../clients/zuora/schemas.js';",
      "import { Client } from '@temporalio/client';",
      "import { ConnectionService } from '../connections/service.js';",
      "import { z } from 'zod';",
      "import { runWorker } from '../worker.js';",
      "import { FAILURE } from '../shared/failures.js';",
      'export const planted = [readFileSync, ZuoraClient, Client, ConnectionService, z, runWorker, FAILURE];',
      'export type Planted = ZuoraAccount;',
      "export const later = (): Promise<unknown> => import('node:path');",
    ].join('\n'),
    refused: [
      'node:fs',
      'clients/zuora/client.js',
      '@temporalio/client',
      'connections/service.js',
      'zod',
      'worker.js',
      'import(',
    ],
  },
  {
    path: 'src/clients/zz-planted-violation.ts',
    code: [
      "import { ConnectionNotFoundError } from '../connections/errors.js';",
      "import { createActivities } from '../activities/index.js';",
      "import { startSync } from '../temporal/start-sync.js';",
      "import { FAILURE } from '../shared/failures.js';",
      'export const planted = [ConnectionNotFoundError, createActivities, startSync, FAILURE];',
    ].join('\n'),
    refused: ['connections/errors.js', 'activities/index.js', 'temporal/start-sync.js'],
  },
  {
    path: 'src/api/zz-planted-violation.ts',
    code: [
      "import { startZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';",
      "import type { RunningZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';",
      'export const planted = startZuoraSimulator;',
      'export type Planted = RunningZuoraSimulator;',
    ].join('\n'),
    refused: ['@togai-zuora-sync/simulators/zuora'],
  },
];

describe('lint: the module boundaries are enforced, not commented', function () {
  this.timeout(120_000);

  it('reports every planted violation with its rule and what to do, and nothing else', async () => {
    try {
      for (const p of PLANTS) writeFileSync(`${ROOT}${p.path}`, `${p.code}\n`);
      const eslint = new ESLint({ cwd: ROOT });
      const results = await eslint.lintFiles(PLANTS.map((p) => p.path));
      for (const p of PLANTS) {
        const result = results.find((r) => r.filePath.endsWith(p.path));
        assert.ok(result, `${p.path} was linted`);
        const boundary = result.messages.filter(
          (m) =>
            m.ruleId === '@typescript-eslint/no-restricted-imports' || m.ruleId === 'no-restricted-syntax',
        );
        const lines = p.code.split('\n');
        for (const refused of p.refused) {
          const line = lines.findIndex((l) => l.includes(refused)) + 1;
          assert.ok(
            boundary.some((m) => m.line === line),
            `${p.path}:${line} (${refused}) not reported: ${JSON.stringify(boundary)}`,
          );
        }
        assert.equal(boundary.length, p.refused.length, `only the violations: ${JSON.stringify(boundary)}`);
        assert.ok(
          boundary.every((m) => m.message.length > 40),
          'each says what to do',
        );
      }
    } finally {
      for (const p of PLANTS) rmSync(`${ROOT}${p.path}`, { force: true });
    }
  });
});
