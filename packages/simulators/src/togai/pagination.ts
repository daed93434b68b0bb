import { z } from 'zod';
import { TogaiApiError } from './errors.js';

/**
 * Togai-style pagination. The token has the shape of the spec's example tokens (base64 of
 * `{"lastItemId": …, "pageSize": …, "sortOrder": "asc"}`); clients must treat it as opaque.
 * Like Togai, a full page carries a token even when nothing follows: one more call returns an
 * empty list without a token, and clients must cope with that.
 */

const tokenSchema = z.object({
  lastItemId: z.string(),
  pageSize: z.number().int().positive(),
  sortOrder: z.literal('asc'),
});

export interface Page<T> {
  data: T[];
  nextToken?: string;
}

export function encodeToken(lastItemId: string, pageSize: number): string {
  return Buffer.from(JSON.stringify({ lastItemId, pageSize, sortOrder: 'asc' })).toString('base64');
}

function decodeToken(token: string): z.infer<typeof tokenSchema> {
  try {
    return tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64').toString('utf8')));
  } catch {
    throw new TogaiApiError(400, 'Invalid nextToken');
  }
}

export interface PageRequest {
  nextToken?: string | undefined;
  pageSize?: number | undefined;
  /** Used when neither the request nor the token carries a page size. */
  defaultPageSize: number;
  /** Larger requests are refused with `tooLargeStatus`; undefined means no limit. */
  maxPageSize?: number;
  tooLargeStatus?: number;
}

/** One page of `items` (already filtered, in their stable order) after the token's last item. */
export function paginate<T>(items: readonly T[], idOf: (item: T) => string, req: PageRequest): Page<T> {
  const token = req.nextToken ? decodeToken(req.nextToken) : undefined;
  const pageSize = req.pageSize ?? token?.pageSize ?? req.defaultPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new TogaiApiError(400, 'pageSize must be a positive integer');
  if (req.maxPageSize !== undefined && pageSize > req.maxPageSize) {
    throw new TogaiApiError(req.tooLargeStatus ?? 400, `pageSize cannot be more than ${req.maxPageSize}`);
  }
  let start = 0;
  if (token) {
    const index = items.findIndex((item) => idOf(item) === token.lastItemId);
    if (index < 0) throw new TogaiApiError(400, 'Invalid nextToken');
    start = index + 1;
  }
  const data = items.slice(start, start + pageSize);
  const last = data.at(-1);
  return data.length === pageSize && last !== undefined
    ? { data, nextToken: encodeToken(idOf(last), pageSize) }
    : { data };
}
