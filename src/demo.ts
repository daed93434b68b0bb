/**
 * Demo mode of `npm start`: with no real connection configured, run both simulators on fixed
 * local ports and a clearly labelled sandbox connection to them, with Zuora's callout and Togai's
 * webhooks pointed at our gateway, so a newcomer can walk through all five flows (DEMO_WALKTHROUGH).
 *
 * The sandbox tenant holds what the flows need: every Zuora custom field (the simulators' own
 * TOGAI_SYNC_CUSTOM_FIELDS, as `npm run sim:zuora` has them), Togai usage meters mapped to Zuora
 * charges and a price plan (the Togai simulator's DEMO_SEED), and the Zuora account of the demo
 * Togai account with a subscription holding those charges (DEMO_ZUORA_SEED).
 *
 * The simulators keep their tenants in memory; demo mode writes both to DATA_DIR/demo-simulators.json
 * (every few seconds when something changed, and on stop) and loads that file on the next start, so
 * a restart of `npm start` finds the same accounts, usage and invoices as the connection it keeps.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TogaiStoreSnapshot } from '@togai-zuora-sync/simulators/togai';
import type { ZuoraStateSnapshot } from '@togai-zuora-sync/simulators/zuora';
import type { Config } from './config.js';
import type { ConnectionService, WebhookSetup } from './connections/service.js';
import type { Logger } from './logger.js';

export const DEMO_CONNECTION_NAME = 'Sandbox (simulators)';
// Credentials of the local simulators only; they protect nothing outside this machine.
const DEMO_ZUORA_CLIENT_ID = '5a4d0000-0000-4000-8000-000000000001';
const DEMO_ZUORA_CLIENT_SECRET = 'sandbox-secret-not-for-production';
const DEMO_TOGAI_TOKEN = 'sandbox-togai-token';

/** Where demo mode keeps the simulators' tenants between starts (under DATA_DIR). */
export const DEMO_STATE_FILE = 'demo-simulators.json';
/** How often a changed tenant is written (it is written on stop too). */
const SAVE_INTERVAL_MS = 2_000;

/**
 * The walkthrough `npm start` prints in demo mode and the README shows (between its
 * `demo-walkthrough` markers; test/e2e/demo.test.ts checks they agree and runs these commands).
 * `npm run demo -- <step>` is scripts/demo-walkthrough.ts; every step prints the requests it makes
 * and waits for the sync it starts. `npx tzs connections update` switches the billing mode.
 */
export const DEMO_WALKTHROUGH: readonly { say: string; run: string }[] = [
  {
    say: 'Flow 1: create an account in Zuora (its UI); the callout syncs it to a Togai customer',
    run: 'npm run demo -- zuora-account',
  },
  {
    say: 'Flow 2: create a customer with an account in Togai; account.created syncs it to a Zuora account',
    run: 'npm run demo -- togai-account',
  },
  {
    say: 'Ingest usage into Togai for the demo account ACC-DEMO-1 (API calls and storage)',
    run: 'npm run demo -- usage',
  },
  {
    say: 'Flow 3 (Togai invoices, the default): close the cycle; invoice.generated → one Zuora invoice',
    run: 'npm run demo -- close-cycle',
  },
  {
    say: 'Switch to Zuora billing the usage by quantity (flow 4)',
    run: "npx tzs connections update 'Sandbox (simulators)' --flow-invoices off --flow-usage-quantity on --usage-sync-mode quantity",
  },
  { say: 'A second cycle: its usage lines become Zuora usage records', run: 'npm run demo -- usage' },
  { say: '', run: 'npm run demo -- close-cycle' },
  {
    say: 'Switch to Zuora billing the usage by revenue (flow 5: quantity = amount, unit price 1)',
    run: "npx tzs connections update 'Sandbox (simulators)' --flow-usage-quantity off --flow-usage-revenue on --usage-sync-mode revenue",
  },
  { say: 'A third cycle: usage records by revenue', run: 'npm run demo -- usage' },
  { say: '', run: 'npm run demo -- close-cycle' },
  { say: 'Everything the demo account has in Zuora (invoices, usage records)', run: 'npm run demo -- show' },
  {
    say: 'Back to Togai invoices (the default)',
    run: "npx tzs connections update 'Sandbox (simulators)' --flow-usage-revenue off --usage-sync-mode quantity --flow-invoices on",
  },
];

/**
 * The walkthrough as a shell script (`# N. what` comments, then the commands): the README's
 * `demo-walkthrough` block is exactly this text.
 */
export function demoWalkthroughScript(): string {
  let step = 0;
  return DEMO_WALKTHROUGH.flatMap(({ say, run }) => [...(say ? [`# ${++step}. ${say}`] : []), run]).join(
    '\n',
  );
}

/** What the last start found in DATA_DIR: a saved tenant, none (fresh seed), or an unreadable file. */
export type DemoStateOrigin =
  | { kind: 'restored'; file: string; savedAt: string }
  | { kind: 'seeded'; file: string }
  | { kind: 'unreadable'; file: string; movedTo: string; reason: string };

export interface Demo {
  connectionId: string;
  zuoraUrl: string;
  togaiUrl: string;
  origin: DemoStateOrigin;
  /** The lines `npm start` prints about demo mode: where things are, the state, the walkthrough. */
  lines: string[];
  close(): Promise<void>;
}

/** The file demo mode writes: both tenants, as the simulators export them. */
interface DemoStateFile {
  version: 1;
  savedAt: string;
  zuora: ZuoraStateSnapshot;
  togai: TogaiStoreSnapshot;
}

/** auto: only while every connection is the sandbox one (none at all on a first start). */
export async function shouldRunDemo(config: Config, service: ConnectionService): Promise<boolean> {
  if (config.demo.mode !== 'auto') return config.demo.mode === 'on';
  const connections = await service.list();
  return connections.every((c) => c.name === DEMO_CONNECTION_NAME);
}

/**
 * The simulators are a development package (packages/simulators), not part of a production
 * install (`npm ci --omit=dev`, the Docker image): demo mode loads them only when it runs, and
 * says what to do when they are missing.
 */
async function loadSimulators(): Promise<{
  zuora: typeof import('@togai-zuora-sync/simulators/zuora');
  togai: typeof import('@togai-zuora-sync/simulators/togai');
}> {
  try {
    const [zuora, togai] = await Promise.all([
      import('@togai-zuora-sync/simulators/zuora'),
      import('@togai-zuora-sync/simulators/togai'),
    ]);
    return { zuora, togai };
  } catch (err) {
    throw new Error(
      'Demo mode needs the simulators package (@togai-zuora-sync/simulators), which production installs leave out: ' +
        'run `npm ci` (with dev dependencies) in a clone, or set DEMO_MODE=off and add a real connection',
      { cause: err },
    );
  }
}

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status} ${await res.text()}`);
}

/** Moves an unusable saved state aside (kept for a bug report) and says why. */
function moveAside(file: string, err: unknown): DemoStateOrigin {
  const movedTo = `${file}.unreadable-${Date.now()}`;
  renameSync(file, movedTo);
  return { kind: 'unreadable', file, movedTo, reason: err instanceof Error ? err.message : String(err) };
}

/** Reads the saved tenants; a file that cannot be parsed is moved aside. */
function readState(file: string): { state?: DemoStateFile; origin: DemoStateOrigin } {
  if (!existsSync(file)) return { origin: { kind: 'seeded', file } };
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as DemoStateFile;
    if (state.version !== 1) throw new Error(`version ${String(state.version)} is not 1`);
    return { state, origin: { kind: 'restored', file, savedAt: state.savedAt } };
  } catch (err) {
    return { origin: moveAside(file, err) };
  }
}

/** Write-then-rename: a stop in the middle leaves the previous file whole. */
function writeState(file: string, body: string): void {
  // Owner-only, like the connection store beside it: the tenants hold (demo) customer data.
  writeFileSync(`${file}.tmp`, body, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export async function startDemo(
  config: Config,
  service: ConnectionService,
  log: Logger,
  gatewayUrl: string,
): Promise<Demo> {
  const host = '127.0.0.1';
  const sims = await loadSimulators();
  const fields = sims.zuora.TOGAI_SYNC_CUSTOM_FIELDS;
  const zuora = await sims.zuora.startZuoraSimulator(
    {
      clients: [{ clientId: DEMO_ZUORA_CLIENT_ID, clientSecret: DEMO_ZUORA_CLIENT_SECRET }],
      // The tenant `npm run sim:zuora` starts: every custom field the five flows write.
      customFields: { Account: [...fields.Account], Invoice: [...fields.Invoice], Usage: [...fields.Usage] },
    },
    { port: config.demo.zuoraPort, host },
  );
  const togai = await sims.togai
    .startTogaiSimulator({ apiToken: DEMO_TOGAI_TOKEN, port: config.demo.togaiPort, host })
    .catch(async (err: unknown) => {
      await zuora.close();
      throw err;
    });
  let timer: NodeJS.Timeout | undefined;
  try {
    await mkdir(config.dataDir, { recursive: true });
    const file = join(config.dataDir, DEMO_STATE_FILE);
    const read = readState(file);
    let origin = read.origin;
    let restored = false;
    if (read.state) {
      try {
        zuora.sim.importState(read.state.zuora);
        togai.sim.importState(read.state.togai);
        restored = true;
      } catch (err) {
        // Parsed but not a tenant the simulators take (e.g. written by another version).
        zuora.sim.reset();
        togai.sim.reset();
        origin = moveAside(file, err);
      }
    }
    if (!restored) {
      // Seeded before the webhooks point anywhere: the seed's account.created goes nowhere.
      zuora.sim.seed(sims.zuora.DEMO_ZUORA_SEED);
      togai.sim.seed(sims.togai.DEMO_SEED);
    }
    if (origin.kind === 'unreadable')
      log.warn(
        { file, movedTo: origin.movedTo, reason: origin.reason },
        'demo mode: saved simulator state unreadable; seeded afresh',
      );

    let saved = '';
    const save = (): void => {
      const snapshot = { zuora: zuora.sim.exportState(), togai: togai.sim.exportState() };
      const body = JSON.stringify(snapshot);
      if (body === saved) return;
      const doc: DemoStateFile = { version: 1, savedAt: new Date().toISOString(), ...snapshot };
      writeState(file, JSON.stringify(doc));
      saved = body;
    };
    save();
    timer = setInterval(() => {
      try {
        save();
      } catch (err) {
        log.warn({ err, file }, 'demo mode: simulator state not saved');
      }
    }, SAVE_INTERVAL_MS);
    timer.unref();

    const existing = (await service.list()).find((c) => c.name === DEMO_CONNECTION_NAME);
    // Rotating hands us the webhook secrets in clear once more, to give to the fresh simulators.
    const { connection, setup } = existing
      ? await service.rotate(existing.id, {})
      : await service.create({
          name: DEMO_CONNECTION_NAME,
          zuora: {
            endpoint: zuora.url,
            customEndpoint: true,
            clientId: DEMO_ZUORA_CLIENT_ID,
            clientSecret: DEMO_ZUORA_CLIENT_SECRET,
          },
          togai: { baseUrl: togai.url, apiToken: DEMO_TOGAI_TOKEN },
        });
    if (!setup) throw new Error('the sandbox connection returned no webhook credentials');
    await pointSimulatorsAtGateway(config, setup, connection.id, gatewayUrl, zuora.url, togai.url);
    log.info(
      { connectionId: connection.id, zuora: zuora.url, togai: togai.url, state: origin.kind },
      'demo mode: sandbox connection',
    );
    const stopTimer = timer;
    return {
      connectionId: connection.id,
      zuoraUrl: zuora.url,
      togaiUrl: togai.url,
      origin,
      lines: demoLines(connection.id, zuora.url, togai.url, origin),
      async close() {
        clearInterval(stopTimer);
        try {
          save();
        } catch (err) {
          log.warn({ err, file }, 'demo mode: simulator state not saved on stop');
        }
        await Promise.allSettled([zuora.close(), togai.close()]);
      },
    };
  } catch (err) {
    clearInterval(timer);
    await Promise.allSettled([zuora.close(), togai.close()]);
    throw err;
  }
}

/** The demo part of `npm start`'s banner. */
function demoLines(
  connectionId: string,
  zuoraUrl: string,
  togaiUrl: string,
  origin: DemoStateOrigin,
): string[] {
  const state =
    origin.kind === 'restored'
      ? [
          `    Simulator state restored from ${origin.file} (saved ${origin.savedAt}); delete it and restart for a fresh tenant.`,
        ]
      : origin.kind === 'seeded'
        ? [
            `    Fresh sandbox tenant (meters, price plan, ACC-DEMO-1 with Zuora subscription); kept in ${origin.file} across restarts.`,
          ]
        : [
            `    The saved simulator state could not be read (${origin.reason}); it was moved to ${origin.movedTo}.`,
            '    The simulators start afresh (seeded tenant), while the sandbox connection and the Temporal history remain:',
            '    syncs of records from before no longer find them in the simulators. Run the walkthrough again from step 1.',
          ];
  let step = 0;
  const walkthrough = DEMO_WALKTHROUGH.flatMap(({ say, run }) => [
    ...(say ? [`    ${++step}. ${say}:`] : []),
    `         ${run}`,
  ]);
  return [
    '',
    `  DEMO MODE: sandbox connection ${connectionId} to local simulators (no real Zuora or Togai)`,
    `    Zuora simulator: ${zuoraUrl}    Togai simulator: ${togaiUrl}`,
    ...state,
    '    Walk through the five flows (in another terminal of this directory; each step waits for its sync):',
    ...walkthrough,
    '    Watch every sync in the Web UI. Add a real connection (npx tzs connections add) to leave demo mode.',
  ];
}

async function pointSimulatorsAtGateway(
  config: Config,
  setup: WebhookSetup,
  connectionId: string,
  gatewayUrl: string,
  zuoraUrl: string,
  togaiUrl: string,
): Promise<void> {
  // The setup's URLs use PUBLIC_BASE_URL; the simulators run here, so they call the gateway directly.
  const hmac = config.webhooks.zuoraHmac;
  await put(`${zuoraUrl}/__admin/callout`, {
    url: `${gatewayUrl}/webhooks/zuora/${connectionId}`,
    ...(setup.zuora.basic && { basicAuth: setup.zuora.basic }),
    ...(setup.zuora.hmac && {
      signature: {
        secret: setup.zuora.hmac.secret,
        header: hmac.header,
        algorithm: hmac.algorithm,
        encoding: hmac.encoding,
      },
    }),
    attempts: 3,
    intervalMs: 10_000,
  });
  await put(`${togaiUrl}/__admin/webhooks`, [
    { url: `${gatewayUrl}/webhooks/togai/${connectionId}`, secret: setup.togai.hmac.secret },
  ]);
}
