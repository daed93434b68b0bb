import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves `app` on loopback but holds every answer `holdMs` before ending it: a slow tenant. The
 * simulators' latency faults run before a request takes a concurrency slot, so this is how tests
 * make requests overlap inside the slot.
 */
export async function slowServer(
  app: RequestListener,
  holdMs: number,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as unknown as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
      setTimeout(() => end(...args), holdMs);
      return res;
    };
    app(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
