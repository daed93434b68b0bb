import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { parse as parseYaml } from 'yaml';
import { getConfig } from '../config.js';
import { createDefaultVerifier } from '../connections/default-verifier.js';
import { ConnectionValidationError } from '../connections/errors.js';
import { openConnections, type Connections } from '../connections/open.js';
import { createLogger } from '../logger.js';
import { CONNECTION_ID_PATTERN } from '../shared/ids.js';
import { Connection, type Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { temporalDataConverter } from '../temporal/codec.js';
import { createClient, temporalAddress } from '../temporal/connection.js';

/** What every `tzs` command shares: output, the connection store, documents from files. */

export type Out = (text: string) => void;
export const out: Out = (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);

/** Opens the configured store (same DATA_DIR / DATABASE_URL and key as the service), runs `fn`, closes it. */
export async function withConnections<T>(fn: (c: Connections) => Promise<T>): Promise<T> {
  const config = getConfig();
  // Logs go to stderr: stdout is for results (and must stay parseable with --json). The service's
  // info lines ("connection created") repeat what the CLI prints, so info means warn here.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const connections = await openConnections(config, log, createDefaultVerifier());
  try {
    return await fn(connections);
  } finally {
    await connections.close();
  }
}

/**
 * The service's payload codec for the CLI's Temporal clients (src/temporal/codec.ts). Never creates
 * the dev key file: without TZS_ENCRYPTION_KEY and without DATA_DIR's key file it throws
 * KeyringUnavailableError naming the path, rather than writing payloads nobody else can read.
 */
export function cliDataConverter(): DataConverter {
  const config = getConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  return temporalDataConverter(config, log, { create: false });
}

/**
 * Connects to the configured Temporal frontend (TEMPORAL_ADDRESS, else the dev server `npm start`
 * runs), runs `fn` with a client of the configured namespace and task queue, closes the connection.
 * Throws when Temporal cannot be reached within 5 s, naming the address, and when the encryption
 * key is unavailable (cliDataConverter).
 */
export async function withTemporal<T>(fn: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const config = getConfig();
  const dataConverter = cliDataConverter();
  const address = temporalAddress(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${address} (${err instanceof Error ? err.message : String(err)}): ` +
        'start it (`npm start`) or set TEMPORAL_ADDRESS',
      { cause: err },
    );
  }
  try {
    return await fn(createClient(config, connection, dataConverter), config.temporal.taskQueue);
  } finally {
    await connection.close();
  }
}

/**
 * The id of a connection given by id or by name (as every `tzs` command takes it). An id
 * (`conn_…`) is taken as is, so commands that only talk to Temporal work where the store is not
 * at hand; a name is looked up in the store. Throws the service's not-found error (exit 1,
 * "No connection …") for an unknown name.
 */
export async function resolveConnectionId(idOrName: string): Promise<string> {
  if (CONNECTION_ID_PATTERN.test(idOrName)) return idOrName;
  return withConnections(async ({ service }) => (await service.get(idOrName)).id);
}

/**
 * A cli-table3 table for `tzs` output: coloured on a terminal, plain text when piped (cron and CI
 * logs must not fill with escape codes).
 */
export function cliTable(options: Table.TableConstructorOptions = {}): Table.Table {
  return new Table({
    ...options,
    style: process.stdout.isTTY ? (options.style ?? {}) : { ...options.style, head: [], border: [] },
  });
}

/** A document (JSON or YAML) from a file or stdin (`-`): keeps secrets out of argv. */
export function readDocument(path: string): Record<string, unknown> {
  const text = readFileSync(path === '-' ? 0 : path, 'utf8');
  const doc: unknown = parseYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConnectionValidationError([`${path}: expected a JSON or YAML object`]);
  }
  return doc as Record<string, unknown>;
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => !!v && typeof v === 'object' && !Array.isArray(v);

/** Flags win over the file; undefined flags leave the file's value. */
export function merge(base: Tree, over: Tree): Tree {
  const result: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = result[k];
    result[k] = isTree(v) && isTree(b) ? merge(b, v) : v;
  }
  return result;
}

/** Drops undefined leaves and empty branches; undefined when nothing is left. */
export function prune(o: Tree): Tree | undefined {
  const entries = Object.entries(o)
    .map(([k, v]): [string, unknown] => [k, isTree(v) ? prune(v) : v])
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Sets `value` at `path` in `tree`, creating branches. */
export function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}
