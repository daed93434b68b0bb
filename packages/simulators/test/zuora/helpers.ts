import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { startZuoraSimulator, ZuoraTestClient, type ZuoraSimulatorOptions } from '../../src/zuora/index.js';

export { ZuoraTestClient, type ApiResponse, type CallOptions } from '../../src/zuora/index.js';

/** Seed data most tests share: one account with a usage subscription (IDs the usage sync references). */
export const SEED: ZuoraSimulatorOptions['seed'] = {
  accounts: [{ id: 'acc-seed-1', accountNumber: 'A-SEED-1', name: 'Seeded Co', currency: 'USD' }],
  subscriptions: [
    {
      id: 'sub-1',
      subscriptionNumber: 'S-0001',
      accountKey: 'A-SEED-1',
      ratePlans: [
        {
          id: 'rp-1',
          productRatePlanId: 'prp-1',
          ratePlanName: 'API calls',
          ratePlanCharges: [
            {
              id: 'charge-1',
              number: 'C-0001',
              name: 'API calls',
              productRatePlanChargeId: 'prpc-1',
              uom: 'Each',
              price: '0.01',
            },
          ],
        },
      ],
    },
  ],
};

/** Starts a simulator with the shared seed; the caller closes it. */
export async function startTestSimulator(options: ZuoraSimulatorOptions = {}): Promise<ZuoraTestClient> {
  const running = await startZuoraSimulator({ seed: SEED, ...options });
  return new ZuoraTestClient(running);
}

/** A request whose body is sent in two parts, so it stays in flight until `finish()`. */
export function slowRequest(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): { finish(): Promise<{ status: number; body: string }>; request: ClientRequest } {
  const u = new URL(path, url);
  let resolveDone: (v: { status: number; body: string }) => void = () => {};
  let rejectDone: (e: unknown) => void = () => {};
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const req = httpRequest(
    {
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    },
    (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolveDone({ status: res.statusCode ?? 0, body: text }));
    },
  );
  req.on('error', rejectDone);
  // A test that cuts the request never calls finish(); its rejection must not surface as unhandled.
  done.catch(() => undefined);
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return {
    request: req,
    finish: () => {
      req.end(body.slice(half));
      return done;
    },
  };
}

/** Polls `predicate` until it holds (the server saw what a test set up), or fails after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
