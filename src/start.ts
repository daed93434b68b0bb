/**
 * `npm start`: the all-in-one mode. Without TEMPORAL_ADDRESS it runs the Temporal dev server
 * (SQLite under DATA_DIR, Web UI) as a child process, then the worker and the gateway in this
 * process, sharing one connection store. With no real connection configured it adds demo mode
 * (src/demo.ts). Ctrl-C drains the worker, closes the gateway and stops the dev server.
 */
import { getConfigOrExit } from './config.js';
import { startCodecServer, type RunningCodecServer } from './api/codec-server.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { shouldRunDemo, startDemo, type Demo } from './demo.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { createLogger } from './logger.js';
import { onShutdownSignal } from './shared/process.js';
import { versions } from './shared/versions.js';
import { ensureTemporalCli } from './devtools/temporal-cli.js';
import { devServerPidFile, reapStaleServer, startDevServer, type DevServer } from './devtools/dev-server.js';
import { dataConverterFor } from './temporal/codec.js';
import { ensureInvoiceSweepScheduleFor, ensureReconciliationScheduleFor } from './temporal/schedules.js';
import { runWorker } from './worker.js';
import { assertPortsFree, lockDataDir, StartupError, type PortNeed } from './shared/startup.js';

const config = getConfigOrExit();
const log = createLogger(config.logLevel, undefined, config.logFormat);
const controller = new AbortController();
let devServer: DevServer | undefined;
let gateway: RunningGateway | undefined;
let codecServer: RunningCodecServer | undefined;
let connections: Connections | undefined;
let demo: Demo | undefined;
let releaseLock: (() => Promise<void>) | undefined;
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
    await releaseLock?.().catch((err: unknown) => log.warn({ err }, 'instance lock release failed'));
  }
  process.exit(code);
}

let workerDone: Promise<void> | undefined;
onShutdownSignal((signal) => {
  log.info({ signal }, 'stopping');
  void shutdown(0);
});

try {
  // First the data directory's lock: a second start on it stops here, before it could reap the
  // running instance's dev server through the pid file or take its ports.
  releaseLock = await lockDataDir(config.dataDir, (err) =>
    log.error({ err }, 'lost the data directory lock: another instance may start on it'),
  );
  // Holding the lock, any dev server named by the pid file was left by a killed instance: stop it
  // before checking ports, since it holds them.
  await reapStaleServer(devServerPidFile(config.dataDir), log);
  connections = await openConnections(config, log, createDefaultVerifier());
  const runDemo = await shouldRunDemo(config, connections.service);
  await assertPortsFree(portsNeeded(runDemo));

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
      httpPort: config.temporal.devHttpPort,
      metricsPort: config.temporal.devMetricsPort,
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
  if (runDemo) {
    demo = await startDemo(config, connections.service, log, gateway.url);
    // The worker ensured the schedules of the connections it found; the demo's may be new.
    const demoId = demo.connectionId;
    await ensureInvoiceSweepScheduleFor(config, demoId, dataConverterFor(connections.keyring)).catch(
      (err: unknown) => log.warn({ err, connectionId: demoId }, 'invoice sweep schedule not ensured'),
    );
    const { settings } = await connections.service.resolve(demoId);
    await ensureReconciliationScheduleFor(
      config,
      demoId,
      settings.reconciliation.everyHours,
      dataConverterFor(connections.keyring),
    ).catch((err: unknown) => log.warn({ err, connectionId: demoId }, 'reconciliation schedule not ensured'));
  }

  const lines = [
    '',
    `togai-zuora-sync ${versions().service} is running`,
    `  Temporal:    ${config.temporal.address ?? devServer?.address} (namespace ${config.temporal.namespace})`,
    uiUrl ? `  Web UI:      ${uiUrl}` : '  Web UI:      served by your Temporal deployment',
    `  Gateway:     ${gateway.url}  (GET /healthz, GET /readyz)`,
    `  Admin API:   ${gateway.url}/admin (bearer token; connections: npx tzs connections --help)`,
    `  Codec:       ${config.codecServer.publicUrl} (decodes the encrypted payloads; Web UI: sign in at ${config.codecServer.publicUrl}/login, README "Customer data in Temporal")`,
    ...(config.metrics.workerPort > 0 || gateway.metricsUrl
      ? [
          `  Metrics:     ${[
            config.metrics.workerPort > 0 &&
              `worker http://${config.metrics.host}:${config.metrics.workerPort}/metrics`,
            gateway.metricsUrl && `gateway ${gateway.metricsUrl}`,
          ]
            .filter(Boolean)
            .join(', ')}`,
        ]
      : []),
    ...(demo ? demo.lines : []),
    '',
    '  Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
} catch (err) {
  if (err instanceof StartupError) {
    // A refusal the operator can act on: the message says what to do; a stack trace would not help.
    process.stderr.write(`npm start: ${err.message}\n`);
    await shutdown(err.exitCode);
  }
  log.fatal({ err }, err instanceof Error ? err.message : 'start failed');
  await shutdown(1);
}

/** Every port this start will listen on, checked before anything starts. */
function portsNeeded(withDemo: boolean): PortNeed[] {
  const loopback = '127.0.0.1';
  const t = config.temporal;
  return [
    ...(t.address
      ? []
      : [
          {
            port: t.devPort,
            host: loopback,
            what: 'the Temporal dev server (gRPC)',
            envVar: 'TEMPORAL_DEV_PORT',
          },
          { port: t.uiPort, host: loopback, what: 'the Temporal Web UI', envVar: 'TEMPORAL_UI_PORT' },
          {
            port: t.devHttpPort,
            host: loopback,
            what: 'the Temporal dev server (HTTP API)',
            envVar: 'TEMPORAL_DEV_HTTP_PORT',
          },
          {
            port: t.devMetricsPort,
            host: loopback,
            what: 'the Temporal dev server (/metrics)',
            envVar: 'TEMPORAL_DEV_METRICS_PORT',
          },
        ]),
    { port: config.gateway.port, host: config.gateway.host, what: 'the gateway', envVar: 'GATEWAY_PORT' },
    {
      port: config.codecServer.port,
      host: config.codecServer.host,
      what: 'the codec server',
      envVar: 'CODEC_SERVER_PORT',
    },
    ...(config.metrics.workerPort > 0
      ? [
          {
            port: config.metrics.workerPort,
            host: config.metrics.host,
            what: 'the worker metrics',
            envVar: 'WORKER_METRICS_PORT',
          },
        ]
      : []),
    ...(config.metrics.gatewayPort > 0
      ? [
          {
            port: config.metrics.gatewayPort,
            host: config.metrics.host,
            what: 'the gateway metrics',
            envVar: 'GATEWAY_METRICS_PORT',
          },
        ]
      : []),
    ...(withDemo
      ? [
          {
            port: config.demo.zuoraPort,
            host: loopback,
            what: 'the demo Zuora simulator',
            envVar: 'DEMO_ZUORA_PORT',
          },
          {
            port: config.demo.togaiPort,
            host: loopback,
            what: 'the demo Togai simulator',
            envVar: 'DEMO_TOGAI_PORT',
          },
        ]
      : []),
  ];
}
