import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { ResolvingClientSource } from '../../src/activities/index.js';
import { FAILURE } from '../../src/shared/failures.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';

describe('ResolvingClientSource (clients per connection for activities)', () => {
  let env: SimulatedConnection;

  before(async () => {
    env = await startSimulatedConnection();
  });
  after(async () => {
    await env.close();
  });

  it('hands out the same clients for a connection until its record changes, then fresh ones', async () => {
    const source = new ResolvingClientSource(env.service);
    const first = await source.forConnection(env.connectionId);
    const second = await source.forConnection(env.connectionId);
    assert.equal(second.zuora, first.zuora, 'one Zuora client (and token) per connection');
    assert.equal(second.togai, first.togai);
    assert.equal(first.settings.togai.settingsNamespace, 'zuora');
    // The clients really reach the simulators through the stored credentials.
    assert.ok((await first.zuora.getToken()).length > 0);

    await env.service.update(env.connectionId, { togai: { settingsNamespace: 'zuora-eu' } });
    const third = await source.forConnection(env.connectionId);
    assert.notEqual(third.zuora, first.zuora);
    assert.equal(third.settings.togai.settingsNamespace, 'zuora-eu');
    await env.service.update(env.connectionId, { togai: { settingsNamespace: 'zuora' } });
  });

  it('refuses an unknown connection with a non-retryable UnknownConnection failure', async () => {
    const source = new ResolvingClientSource(env.service);
    await assert.rejects(source.forConnection('conn_nosuchthing'), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, FAILURE.UnknownConnection);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /conn_nosuchthing/);
      return true;
    });
  });
});
