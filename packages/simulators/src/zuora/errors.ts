import type { Request, Response } from 'express';

/**
 * Zuora error codes are 8 digits: `5`, a 5-digit object code, a 2-digit category. Clients act on
 * the category (retry only 50, 61, 70, 99), so the categories follow Zuora's documentation; the
 * object codes are the simulator's own.
 */
export const ErrorCategory = {
  permission: '10',
  authentication: '11',
  invalidValue: '20',
  missingRequired: '21',
  notFound: '40',
  lockingContention: '50',
  internal: '60',
  temporary: '61',
  limitExceeded: '70',
  malformed: '90',
  integration: '99',
} as const;
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

export const ObjectCode = {
  generic: '00000',
  account: '30000',
  subscription: '31000',
  invoice: '32000',
  usage: '33000',
  oauth: '90000',
} as const;

/** An 8-digit Zuora error code as the spec types it for v1 (a string). */
export function zuoraCode(object: keyof typeof ObjectCode, category: ErrorCategory): string {
  return `5${ObjectCode[object]}${category}`;
}

/**
 * The three error shapes of the operations we simulate. The official spec gives each family its
 * own: v1 REST (`CommonResponse`: success false + reasons with string codes), the CRUD "object"
 * API (`ProxyBadRequestResponse`: errors; `ProxyUnauthorizedResponse`: message) and object
 * queries (`CommonOQErrorResponse`: reasons with integer codes).
 */
export type ApiFamily = 'v1' | 'object' | 'objectQuery' | 'oauth';

export function familyOf(path: string): ApiFamily {
  if (path.startsWith('/v1/object/')) return 'object';
  if (path.startsWith('/object-query/')) return 'objectQuery';
  if (path.startsWith('/oauth/')) return 'oauth';
  return 'v1';
}

/** The request id this request was given by the request-id middleware. */
export function requestIdOf(res: Response): string {
  const id = res.getHeader('Zuora-Request-Id');
  return typeof id === 'string' ? id : '00000000-0000-0000-0000-000000000000';
}

/** Sends an error in the body shape of the request's family. */
export function sendError(
  req: Request,
  res: Response,
  status: number,
  code: string,
  message: string,
  family: ApiFamily = familyOf(req.path),
): void {
  res.status(status);
  switch (family) {
    case 'object':
      if (status === 401) return void res.json({ message });
      if (status === 404) return void res.json({ done: true, records: [], size: 0 });
      return void res.json({ success: false, errors: [{ code: objectErrorCode(code), message }] });
    case 'objectQuery':
      return void res.json({ requestId: requestIdOf(res), reasons: [{ code: Number(code), message }] });
    case 'oauth':
      return void res.json({
        error: status === 401 ? 'invalid_client' : 'invalid_request',
        error_description: message,
      });
    default:
      if (status >= 500) return void res.json({ reasons: [{ code, message }] });
      return void res.json({
        success: false,
        processId: processId(),
        requestId: requestIdOf(res),
        reasons: [{ code, message }],
      });
  }
}

/** A v1 business failure: HTTP 200 with `success: false`, Zuora's own convention. */
export function sendFailure(res: Response, code: string, message: string): void {
  res.status(200).json({
    success: false,
    processId: processId(),
    requestId: requestIdOf(res),
    reasons: [{ code, message }],
  });
}

/** The CRUD API names errors, not numbers. */
function objectErrorCode(code: string): string {
  const category = code.slice(-2);
  if (category === ErrorCategory.notFound) return 'INVALID_ID';
  if (category === ErrorCategory.missingRequired) return 'MISSING_REQUIRED_VALUE';
  if (category === ErrorCategory.limitExceeded) return 'REQUEST_EXCEEDED_LIMIT';
  if (category === ErrorCategory.lockingContention) return 'LOCK_COMPETITION';
  if (category === ErrorCategory.malformed) return 'MALFORMED_QUERY';
  return 'INVALID_VALUE';
}

function processId(): string {
  return Math.random().toString(16).slice(2, 18).toUpperCase().padEnd(16, '0');
}
