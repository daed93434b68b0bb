import type { SimClock } from '../common/clock.js';
import type { WebhookDispatcher } from '../common/webhooks.js';
import type { ResolvedZuoraOptions } from './options.js';
import type { ZuoraState } from './state.js';

/** What every route module of the Zuora simulator works with. */
export interface ZuoraContext {
  state: ZuoraState;
  /** Live options: the admin API can change limits and the callout at run time. */
  options: ResolvedZuoraOptions;
  clock: SimClock;
  webhooks: WebhookDispatcher;
  /** Limits the contract states that JSON Schema cannot check (e.g. usage Quantity's 16 characters). */
  characterLimits: ReadonlyMap<string, ReadonlyMap<string, number>>;
}
