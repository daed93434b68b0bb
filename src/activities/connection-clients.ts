import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../shared/failures.js';
import { TogaiClient } from '../clients/togai/client.js';
import { ZuoraClient } from '../clients/zuora/client.js';
import { ConnectionNotFoundError } from '../connections/errors.js';
import type { ConnectionRecord, ConnectionSettings } from '../connections/model.js';
import type { Logger } from '../logger.js';

/** What an activity needs to talk to both vendors on behalf of one connection. */
export interface ConnectionClients {
  connectionId: string;
  /** Non-secret settings: custom field names, settings namespace, Zuora defaults. */
  settings: ConnectionSettings;
  zuora: ZuoraClient;
  togai: TogaiClient;
}

/** Where activities get their clients; tests may hand in their own. */
export interface ClientSource {
  /** Throws a non-retryable `UnknownConnection` failure for an id the store does not hold. */
  forConnection(connectionId: string): Promise<ConnectionClients>;
}

/** The part of ConnectionService activities use (secrets in clear: never leaves the worker). */
export interface ConnectionResolver {
  resolve(id: string): Promise<ConnectionRecord>;
}

/**
 * Clients per connection, cached for the life of the worker process so the Zuora token and the
 * per-connection limiters are shared by every activity. The record is read on every call (one
 * indexed row): an edited or rotated connection gets fresh clients at its next activity, not at
 * the next worker restart.
 */
export class ResolvingClientSource implements ClientSource {
  readonly #cache = new Map<string, { version: number; updatedAt: string; clients: ConnectionClients }>();

  constructor(
    private readonly resolver: ConnectionResolver,
    private readonly log?: Logger,
  ) {}

  async forConnection(connectionId: string): Promise<ConnectionClients> {
    let record: ConnectionRecord;
    try {
      record = await this.resolver.resolve(connectionId);
    } catch (err) {
      if (err instanceof ConnectionNotFoundError) {
        throw ApplicationFailure.create({
          message: `No connection ${connectionId}: it was deleted or never existed; start the sync with an existing connection id`,
          type: FAILURE.UnknownConnection,
          nonRetryable: true,
        });
      }
      throw err;
    }
    const cached = this.#cache.get(connectionId);
    if (cached && cached.version === record.version && cached.updatedAt === record.updatedAt) {
      return cached.clients;
    }
    const { settings, secrets } = record;
    const clients: ConnectionClients = {
      connectionId,
      settings,
      zuora: new ZuoraClient({
        connectionId,
        baseUrl: settings.zuora.endpoint,
        clientId: settings.zuora.clientId,
        clientSecret: secrets.zuoraClientSecret,
        limits: { concurrency: settings.zuora.concurrency },
        ...(this.log && { logger: this.log }),
      }),
      togai: new TogaiClient({
        connectionId,
        baseUrl: settings.togai.baseUrl,
        apiToken: secrets.togaiApiToken,
        limits: { ratePerSecond: settings.togai.requestsPerSecond },
        ...(this.log && { logger: this.log }),
      }),
    };
    this.#cache.set(connectionId, { version: record.version, updatedAt: record.updatedAt, clients });
    return clients;
  }
}
