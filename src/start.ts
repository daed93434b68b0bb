/**
 * `npm start`: the all-in-one mode. Without TEMPORAL_ADDRESS it runs the Temporal dev server
 * (SQLite under DATA_DIR, Web UI) as a child process, then the worker and the gateway in this
 * process, sharing one connection store. With no real connection configured it adds demo mode
 * (src/demo.ts). Ctrl-C drains the worker, closes the gateway and stops the dev server.
 */
import { getConfig } from './config.js';
import { startCodecServer, type RunningCodecServer } from './api/codec-server.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { shouldRunDemo, startDemo, type Demo } from './demo.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { createLogger } from './logger.js';
import { onShutdownSignal } from './shared/process.js';
import { versions } from './shared/versions.js';
import { ensureTemporalCli } from './devtools/temporal-cli.js';
import { startDevServer, type DevServer } from './devtools/dev-server.js';
import { dataConverterFor } from './temporal/codec.js';
import { ensureInvoiceSweepScheduleFor } from './temporal/schedules.js';
import { runWorker } from './worker.js';

const config = getConfig();
const log = createLogger(config.logLevel);
const controller = new AbortController();
let devServer: DevServer | undefined;
let gateway: RunningGateway | undefined;
let codecServer: RunningCodecServer | undefined;
let connections: Connections | undefined;
let demo: Demo | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    controller.abort();
    await demo?.close();
    await gateway?.close().catch((err: unknown) => log.warn({ err }, 'gateway close failed'));
    await codecServer?.close().catch((err: unknown) => log.warn({ err }, 'codec server close failed'));
    await workerDone?.catch(() => undefined);
    await connections?.close().catch((err: unknown) => log.warn({ err }, 'connection store close failed'));
    await devServer?.stop().catch((err: unknown) => log.warn({ err }, 'dev server stop failed'));
  }
  process.exit(code);
}

let workerDone: Promise<void> | undefined;
onShutdownSignal((signal) => {
  log.info({ signal }, 'stopping');
  void shutdown(0);
});

try {
  let uiUrl: string | undefined;
  // Before the dev server: its Web UI is pointed at the codec server (--ui-codec-endpoint).
  codecServer = await startCodecServer(config, log);
  if (!config.temporal.address) {
    const cli = await ensureTemporalCli({ cliPath: config.temporal.cliPath, log: (l) => log.info(l) });
    log.info({ cli: cli.path, source: cli.source }, cli.versionLine);
    devServer = await startDevServer({
      cliPath: cli.path,
      dataDir: config.dataDir,
      namespace: config.temporal.namespace,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      codecEndpoint: config.codecServer.publicUrl,
      log,
    });
    uiUrl = devServer.uiUrl;
    // The dev server dying under us is fatal for the all-in-one mode: say so and stop the rest.
    devServer.process.once('exit', (code) => {
      if (!stopping) {
        log.error({ code }, 'Temporal dev server exited unexpectedly');
        void shutdown(1);
      }
    });
  }

  connections = await openConnections(config, log, createDefaultVerifier());
  let workerReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (workerReady = resolve));
  const activityDeps = { connections: connections.service, log };
  const service = connections.service;
  const connectionIds = async (): Promise<string[]> => (await service.list()).map((c) => c.id);
  workerDone = runWorker(config, log, controller.signal, workerReady, activityDeps, connectionIds).catch(
    (err: unknown) => {
      log.fatal({ err }, 'worker failed');
      void shutdown(1);
    },
  );
  gateway = await startGateway(config, log, { connections });
  await ready;
  if (await shouldRunDemo(config, connections.service)) {
    demo = await startDemo(config, connections.service, log, gateway.url);
    // The worker ensured the schedules of the connections it found; the demo's may be new.
    const demoId = demo.connectionId;
    await ensureInvoiceSweepScheduleFor(config, demoId, dataConverterFor(connections.keyring)).catch(
      (err: unknown) => log.warn({ err, connectionId: demoId }, 'invoice sweep schedule not ensured'),
    );
  }

  const lines = [
    '',
    `togai-zuora-sync ${versions().service} is running`,
    `  Temporal:    ${config.temporal.address ?? devServer?.address} (namespace ${config.temporal.namespace})`,
    uiUrl ? `  Web UI:      ${uiUrl}` : '  Web UI:      served by your Temporal deployment',
    `  Gateway:     ${gateway.url}  (GET /healthz, GET /readyz)`,
    `  Admin API:   ${gateway.url}/admin (bearer token; connections: npx tzs connections --help)`,
    `  Codec:       ${config.codecServer.publicUrl} (decodes the encrypted payloads; Web UI: sign in at ${config.codecServer.publicUrl}/login, README "Customer data in Temporal")`,
    ...(demo
      ? [
          '',
          `  DEMO MODE: sandbox connection ${demo.connectionId} to local simulators (no real Zuora or Togai)`,
          `    Zuora simulator: ${demo.zuoraUrl}    Togai simulator: ${demo.togaiUrl}`,
          '    Create an account in Zuora; its callout starts syncZuoraAccountToTogai:',
          `      ${demo.commands.zuora}`,
          '    Create a customer with an account in Togai; its event starts syncTogaiAccountToZuora:',
          `      ${demo.commands.togai}`,
          '    Then watch both syncs in the Web UI. Add a real connection (npx tzs connections add) to leave demo mode.',
        ]
      : []),
    '',
    '  Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
} catch (err) {
  log.fatal({ err }, err instanceof Error ? err.message : 'start failed');
  await shutdown(1);
}
