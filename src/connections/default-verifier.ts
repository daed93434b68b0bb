import { BusinessError, CredentialCheckError, NotFoundError } from '../clients/errors.js';
import { verifyTogaiCredentials, verifyZuoraCredentials, ZuoraClient } from '../clients/index.js';
import type { ZuoraQueryOptions } from '../clients/zuora/client.js';
import type { CustomFieldProblems, RequiredCustomField } from './custom-fields.js';
import type { CredentialVerifier } from './verifier.js';

/**
 * The production verifier, over the real clients (src/clients): a fresh Zuora OAuth token, and
 * one cheap authenticated Togai list call. The clients' own message ("Zuora credential check failed
 * at <url>: <reason>") is reshaped into a reason, since the service says which side failed.
 */
export function createDefaultVerifier(): CredentialVerifier {
  return {
    async verifyZuora(c) {
      await reshape(
        verifyZuoraCredentials({ baseUrl: c.endpoint, clientId: c.clientId, clientSecret: c.clientSecret }),
      );
    },
    async verifyTogai(c) {
      await reshape(verifyTogaiCredentials({ baseUrl: c.baseUrl, apiToken: c.apiToken }));
    },
    async checkZuoraCustomFields(c, fields) {
      const zuora = new ZuoraClient({
        connectionId: 'custom-field-check',
        baseUrl: c.endpoint,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
      });
      const problems: CustomFieldProblems = { missing: [], notFilterable: [] };
      for (const field of fields) {
        // Filtering on a field needs it filterable; naming it among the fields returned only needs it.
        if (
          field.filterable &&
          (await accepts(zuora, field, { filters: [{ field: field.name, value: PROBE }] }))
        )
          continue;
        if (await accepts(zuora, field, { filters: [], fields: [field.name] })) {
          if (field.filterable) problems.notFilterable.push(field);
          continue;
        }
        problems.missing.push(field);
      }
      return problems;
    },
  };
}

const PROBE = 'tzs-custom-field-check';

/** Whether Zuora takes a one-row object query naming the field; its refusal (400) means no. */
async function accepts(
  zuora: ZuoraClient,
  field: RequiredCustomField,
  q: ZuoraQueryOptions,
): Promise<boolean> {
  const query = { ...q, pageSize: 1 };
  try {
    if (field.object === 'Account') await zuora.queryAccounts(query);
    else if (field.object === 'Invoice') await zuora.queryInvoices(query);
    else await zuora.queryUsages(query);
    return true;
  } catch (err) {
    if (err instanceof BusinessError || err instanceof NotFoundError) return false;
    throw err;
  }
}

async function reshape(check: Promise<void>): Promise<void> {
  try {
    await check;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const m = /^(?:Zuora|Togai) (?:credential check failed|could not be reached) at (\S+): ([\s\S]*)$/.exec(
      message,
    );
    const reshaped = new Error(m ? `${m[2]} (${m[1]})` : message);
    // The service says "could not be reached" instead of blaming the credentials.
    throw err instanceof CredentialCheckError && err.unreachable
      ? Object.assign(reshaped, { unreachable: true })
      : reshaped;
  }
}
