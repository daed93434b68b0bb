import { log } from '@temporalio/activity';
import { callVendor } from '../clients/errors.js';

/**
 * Pages through a Togai list until an empty page, a missing token or a token seen before (Togai's
 * last page may still carry a token; a cycling token must not loop forever). Each page is one
 * vendor call, classified by `callVendor`.
 */
export async function allPages<T>(
  page: (token: string | undefined) => Promise<{ data: T[]; nextToken: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const res = await callVendor(() => page(token));
    all.push(...res.data);
    token = res.data.length > 0 ? res.nextToken : undefined;
    if (token !== undefined && seen.has(token)) {
      log.warn('a Togai listing handed back a page token it had given before: ended there', {
        pages: seen.size,
        items: all.length,
      });
      break;
    }
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return all;
}
