/**
 * `scripts/cluster/up.sh`'s last step: registers the namespace and the project's custom search
 * attributes (src/shared/search-attributes.ts, the same list the dev server gets as flags) on a
 * Temporal cluster. Idempotent. `node dist/src/devtools/cluster-namespace.js <address> <namespace>`.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import proto from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';
import { isMain } from '../shared/process.js';

const { temporal } = proto;

const INDEXED: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};
const GRPC_ALREADY_EXISTS = 6;

function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? Number(err.code) : undefined;
}

export async function ensureClusterNamespace(
  address: string,
  namespace: string,
  retentionDays = 1,
): Promise<string[]> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
      });
    } catch (err) {
      if (grpcCode(err) !== GRPC_ALREADY_EXISTS) throw err;
    }
    const searchAttributes = Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((k) => [
        k.name,
        INDEXED[k.type] ?? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    );
    // A new namespace reaches every service only after their namespace caches refresh (2 s in
    // 1.29), and SQL visibility's addSearchAttributes describes it: retry until it is known.
    for (let attempt = 1; ; attempt++) {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
        break;
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.keys(searchAttributes).filter((k) => !(k in (customAttributes ?? {})));
    if (missing.length > 0)
      throw new Error(`search attributes missing after adding them: ${missing.join(', ')}`);
    return Object.keys(customAttributes ?? {}).sort();
  } finally {
    await connection.close();
  }
}

if (isMain(import.meta.url)) {
  const [address = '127.0.0.1:7233', namespace = 'default'] = process.argv.slice(2);
  ensureClusterNamespace(address, namespace).then(
    (names) => console.error(`cluster-namespace: ${namespace} has ${names.join(', ')}`),
    (err: unknown) => {
      console.error('cluster-namespace failed:', err);
      process.exit(1);
    },
  );
}
