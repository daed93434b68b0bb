import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ContractIssue, OpenApiContract } from './openapi.js';

/** A response that did not match the official contract (a simulator bug, surfaced in tests). */
export interface ContractViolation {
  operationId: string;
  method: string;
  path: string;
  status: number;
  issues: ContractIssue[];
}

/** How a simulator plugs its vendor's behaviour into the guard. */
export interface ContractGuardOptions {
  contract: OpenApiContract;
  /** Sends the vendor's own answer to a request the official schema rejects. */
  onInvalidRequest(req: Request, res: Response, operationId: string, issues: ContractIssue[]): void;
  /** Where response violations go (the simulator exposes them through its admin state). */
  violations: ContractViolation[];
}

/** The operation id the guard matched, for handlers and later middleware. */
export function operationIdOf(res: Response): string | undefined {
  const id: unknown = res.locals['operationId'];
  return typeof id === 'string' ? id : undefined;
}

/**
 * Validates every request against the official contract before a handler sees it (after the body
 * parsers), and checks every JSON response the handler sends against the response schema of its
 * status, recording mismatches in `violations`. Paths the contract does not know pass through.
 */
export function contractGuard(opts: ContractGuardOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const q = req.originalUrl.indexOf('?');
    const check = opts.contract.validateRequest({
      method: req.method,
      path: req.path,
      rawQuery: q >= 0 ? req.originalUrl.slice(q + 1) : '',
      headers: req.headers,
      body: req.body as unknown,
    });
    if (!check.operationId) return next();
    const operationId = check.operationId;
    res.locals['operationId'] = operationId;
    const originalJson = res.json.bind(res);
    res.json = function json(body?: unknown): Response {
      const issues = opts.contract.validateResponse(operationId, res.statusCode, body);
      if (issues.length > 0) {
        opts.violations.push({
          operationId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          issues,
        });
      }
      return originalJson(body);
    } as Response['json'];
    if (check.issues.length > 0) return opts.onInvalidRequest(req, res, operationId, check.issues);
    next();
  };
}
