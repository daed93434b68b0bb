import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `npm run sim:zuora` and `npm run sim:togai` start a listening simulator (on a free port here). */
describe('simulator programs (npm run sim:zuora, sim:togai)', function () {
  this.timeout(30_000);

  for (const [name, portVar] of [
    ['zuora', 'ZUORA_SIM_PORT'],
    ['togai', 'TOGAI_SIM_PORT'],
  ] as const) {
    it(`${name}/main.js listens and says where`, async () => {
      const main = fileURLToPath(new URL(`../../src/${name}/main.js`, import.meta.url));
      const proc = spawn(process.execPath, [main], {
        env: { ...process.env, [portVar]: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      try {
        const line = await new Promise<string>((resolve, reject) => {
          proc.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            const m = /listening on (http:\/\/\S+)/.exec(out);
            if (m?.[1]) resolve(m[1]);
          });
          proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
          proc.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
        });
        const res = await fetch(`${line}/__admin/state`);
        assert.equal(res.status, 200);
      } finally {
        proc.kill('SIGTERM');
      }
    });
  }
});
