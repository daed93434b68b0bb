import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityDeps } from '../../src/activities/index.js';
import { Keyring } from '../../src/connections/crypto.js';
import { createDefaultVerifier } from '../../src/connections/default-verifier.js';
import type { CreateConnectionInput } from '../../src/connections/model.js';
import { ConnectionService, type WebhookSetup } from '../../src/connections/service.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import { createLogger, type Logger } from '../../src/logger.js';
import {
  DEFAULT_API_TOKEN,
  startTogaiSimulator,
  type RunningTogaiSimulator,
  type TogaiSimulatorOptions,
} from '@togai-zuora-sync/simulators/togai';
import {
  startZuoraSimulator,
  type RunningZuoraSimulator,
  type ZuoraSimulatorOptions,
} from '@togai-zuora-sync/simulators/zuora';

/**
 * Both simulators on free loopback ports, and one connection pointing at them in a throw-away
 * SQLite store (its own random key), created through the real ConnectionService with the real
 * credential checks. Flow and gateway tests share it:
 *
 *   const env = await startSimulatedConnection();
 *   withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, ...)
 *   // gateway: env.service (webhookCredentials), env.webhookSetup (what Zuora and Togai would send)
 *   await env.close();
 */

/** The Account custom fields a connection uses by default, filterable as flow 2's look-up needs. */
export const ACCOUNT_CUSTOM_FIELDS = [
  { name: 'TogaiCustomerId__c', filterable: true },
  { name: 'TogaiAccountId__c', filterable: true },
];

export interface SimulatedConnectionOptions {
  /** Merged over the defaults (Account custom fields above; everything else the simulator's). */
  zuora?: ZuoraSimulatorOptions;
  togai?: TogaiSimulatorOptions;
  /** Overrides of the connection's create input (name, togai.settingsNamespace, …). */
  connection?: Partial<CreateConnectionInput>;
  log?: Logger;
}

export interface SimulatedConnection {
  zuora: RunningZuoraSimulator;
  togai: RunningTogaiSimulator;
  connectionId: string;
  service: ConnectionService;
  store: SqliteConnectionStore;
  /** The webhook credentials shown at creation (URLs use http://localhost:3000). */
  webhookSetup: WebhookSetup;
  /** What `createActivities` needs to reach both simulators through this connection. */
  activityDeps: ActivityDeps;
  /** GET /__admin/state of the Zuora simulator. */
  zuoraState(): Promise<ZuoraAdminState>;
  /** GET /__admin/state of the Togai simulator. */
  togaiState(): Promise<TogaiAdminState>;
  close(): Promise<void>;
}

export interface ZuoraAdminAccount {
  id: string;
  accountNumber: string;
  name: string;
  currency: string;
  billToContact: Record<string, unknown>;
  customFields: Record<string, unknown>;
}
export interface ZuoraAdminState {
  accounts: ZuoraAdminAccount[];
  [key: string]: unknown;
}

export interface TogaiAdminState {
  customers: { id: string; name: string; primaryEmail: string; address?: Record<string, string> }[];
  accounts: {
    id: string;
    customerId: string;
    name: string;
    invoiceCurrency: string;
    primaryEmail?: string;
  }[];
  settings: {
    id: string;
    namespace: string;
    value: string;
    entityType: string;
    entityId: string;
  }[];
  [key: string]: unknown;
}

async function adminGet<T>(baseUrl: string, path: string): Promise<T> {
  const res = await fetch(`${baseUrl}/__admin${path}`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/__admin${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function startSimulatedConnection(
  options: SimulatedConnectionOptions = {},
): Promise<SimulatedConnection> {
  const log = options.log ?? createLogger('silent');
  const zuora = await startZuoraSimulator({
    ...options.zuora,
    customFields: { Account: ACCOUNT_CUSTOM_FIELDS, ...options.zuora?.customFields },
  });
  const togai = await startTogaiSimulator(options.togai ?? {});
  const dir = mkdtempSync(join(tmpdir(), 'tzs-sim-conn-'));
  const store = new SqliteConnectionStore(
    join(dir, 'tzs.sqlite'),
    new Keyring({ id: 'k1', key: randomBytes(32) }),
  );
  const cleanup = async (): Promise<void> => {
    await store.close().catch(() => undefined);
    await Promise.allSettled([zuora.close(), togai.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await store.migrate();
    const service = new ConnectionService({
      store,
      verifier: createDefaultVerifier(),
      log,
      publicBaseUrl: 'http://localhost:3000',
    });
    const { connection, setup } = await service.create({
      name: `Simulators ${randomBytes(4).toString('hex')}`,
      ...options.connection,
      zuora: {
        endpoint: zuora.url,
        customEndpoint: true,
        clientId: zuora.sim.credentials.clientId,
        clientSecret: zuora.sim.credentials.clientSecret,
        ...options.connection?.zuora,
      },
      togai: {
        baseUrl: togai.url,
        apiToken: options.togai?.apiToken ?? DEFAULT_API_TOKEN,
        ...options.connection?.togai,
      },
    });
    return {
      zuora,
      togai,
      connectionId: connection.id,
      service,
      store,
      webhookSetup: setup,
      activityDeps: { connections: service, log },
      zuoraState: () => adminGet<ZuoraAdminState>(zuora.url, '/state'),
      togaiState: () => adminGet<TogaiAdminState>(togai.url, '/state'),
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
