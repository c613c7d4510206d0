/** Typed errors from halotap's RFC 9457 problem+json answers: branch on `code`, which is stable. */

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: { field?: string; message?: string }[];
  [extension: string]: unknown;
}

/** An answer that is not a success. `problem` is the whole problem+json body ({} if there was none). */
export class HalotapError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly problem: Problem;

  constructor(status: number, code: string, detail: string, problem: Problem) {
    super(`${status} ${code}: ${detail}`);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.problem = problem;
  }
}

/** 400: the body or a parameter is malformed; `problem.errors` names each field. */
export class InvalidRequestError extends HalotapError {}
/** 401: no API key, or an unknown one. */
export class AuthenticationError extends HalotapError {}
/** 403: the key may not call this route. */
export class PermissionDeniedError extends HalotapError {}
/** 404: no such checkout, refund, event or merchant for this key. */
export class NotFoundError extends HalotapError {}
/** 409: reference_already_used, checkout_not_cancellable, refund_exceeds_amount, ... */
export class ConflictError extends HalotapError {}
/** 422: the Idempotency-Key was first used with another body. */
export class UnprocessableError extends HalotapError {}
/** 429: over the rate limit (retried by the client first). */
export class RateLimitedError extends HalotapError {}
/** 5xx: Halo or a dependency failed; retrying with the same Idempotency-Key is safe. */
export class ServerError extends HalotapError {}

/** A delivery whose signature, timestamp or body does not verify with your signing secret. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

const BY_STATUS: Record<number, typeof HalotapError> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableError,
  429: RateLimitedError,
};

/** The typed error for an answer; a body that is not problem+json still gives status and text. */
export function errorFrom(status: number, body: unknown): HalotapError {
  const problem: Problem = body !== null && typeof body === "object" ? (body as Problem) : {};
  const code = typeof problem.code === "string" ? problem.code : `http_${status}`;
  const detail = String(problem.detail ?? problem.title ?? (typeof body === "string" ? body : ""));
  const Kind = BY_STATUS[status] ?? (status >= 500 ? ServerError : HalotapError);
  return new Kind(status, code, detail, problem);
}
