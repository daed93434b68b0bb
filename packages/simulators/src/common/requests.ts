import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OpenApiContract } from './openapi.js';

/**
 * Counts the API requests a simulator received, by the contract's operation id (`GET /requests`
 * on the admin API): benchmarks and tests read how many calls a sync made of each kind.
 */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly contract: OpenApiContract) {}

  /** Mount after the admin router: admin calls are not counted. */
  middleware(): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction): void => {
      const op =
        this.contract.matchOperation(req.method.toLowerCase(), req.path) ?? `${req.method} ${req.path}`;
      this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
      next();
    };
  }

  /** `{ total, byOperation }`, operations in descending count. */
  snapshot(): { total: number; byOperation: Record<string, number> } {
    const entries = [...this.counts].sort((a, b) => b[1] - a[1]);
    return { total: entries.reduce((t, [, n]) => t + n, 0), byOperation: Object.fromEntries(entries) };
  }

  reset(): void {
    this.counts.clear();
  }
}
