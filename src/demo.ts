/**
 * Demo mode of `npm start`: with no real connection configured, run both simulators on fixed
 * local ports and a clearly labelled sandbox connection to them, with Zuora's callout and Togai's
 * webhooks pointed at our gateway, so a newcomer can watch both account syncs in the Web UI.
 * Simulators are in-memory: each start gives them fresh state (the connection persists).
 */
import type { Config } from './config.js';
import type { ConnectionService, WebhookSetup } from './connections/service.js';
import type { Logger } from './logger.js';

export const DEMO_CONNECTION_NAME = 'Sandbox (simulators)';
// Credentials of the local simulators only; they protect nothing outside this machine.
const DEMO_ZUORA_CLIENT_ID = '5a4d0000-0000-4000-8000-000000000001';
const DEMO_ZUORA_CLIENT_SECRET = 'sandbox-secret-not-for-production';
const DEMO_TOGAI_TOKEN = 'sandbox-togai-token';

export interface Demo {
  connectionId: string;
  zuoraUrl: string;
  togaiUrl: string;
  /** Copy-paste commands that create an account on each side. */
  commands: { zuora: string; togai: string };
  close(): Promise<void>;
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
  startZuoraSimulator: typeof import('@togai-zuora-sync/simulators/zuora').startZuoraSimulator;
  startTogaiSimulator: typeof import('@togai-zuora-sync/simulators/togai').startTogaiSimulator;
}> {
  try {
    const [zuora, togai] = await Promise.all([
      import('@togai-zuora-sync/simulators/zuora'),
      import('@togai-zuora-sync/simulators/togai'),
    ]);
    return { startZuoraSimulator: zuora.startZuoraSimulator, startTogaiSimulator: togai.startTogaiSimulator };
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

export async function startDemo(
  config: Config,
  service: ConnectionService,
  log: Logger,
  gatewayUrl: string,
): Promise<Demo> {
  const host = '127.0.0.1';
  const { startZuoraSimulator, startTogaiSimulator } = await loadSimulators();
  const zuora = await startZuoraSimulator(
    {
      clients: [{ clientId: DEMO_ZUORA_CLIENT_ID, clientSecret: DEMO_ZUORA_CLIENT_SECRET }],
      customFields: {
        Account: [
          { name: 'TogaiCustomerId__c', filterable: true },
          { name: 'TogaiAccountId__c', filterable: true },
        ],
      },
    },
    { port: config.demo.zuoraPort, host },
  );
  const togai = await startTogaiSimulator({ apiToken: DEMO_TOGAI_TOKEN, port: config.demo.togaiPort, host });
  try {
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
      { connectionId: connection.id, zuora: zuora.url, togai: togai.url },
      'demo mode: sandbox connection',
    );

    const zuoraBody = JSON.stringify({
      name: 'Demo Zuora Co',
      currency: 'USD',
      billToContact: { firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@example.com', country: 'US' },
    });
    const togaiBody = JSON.stringify({
      id: 'demo-customer-1',
      name: 'Demo Togai Co',
      primaryEmail: 'grace@example.com',
      address: { country: 'US' },
      account: { id: 'demo-account-1', name: 'Demo Togai Co', invoiceCurrency: 'USD' },
    });
    return {
      connectionId: connection.id,
      zuoraUrl: zuora.url,
      togaiUrl: togai.url,
      commands: {
        zuora: `curl -s -X POST ${zuora.url}/__admin/ui/accounts -H 'content-type: application/json' -d '${zuoraBody}'`,
        togai: `curl -s -X POST ${togai.url}/customers -H 'authorization: Bearer ${DEMO_TOGAI_TOKEN}' -H 'content-type: application/json' -d '${togaiBody}'`,
      },
      async close() {
        await Promise.allSettled([zuora.close(), togai.close()]);
      },
    };
  } catch (err) {
    await Promise.allSettled([zuora.close(), togai.close()]);
    throw err;
  }
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
