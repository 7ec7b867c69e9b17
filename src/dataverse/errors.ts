/** Every failure of a Dataverse call, with what a tool needs to tell the user what to do. */
export type DataverseErrorKind =
  | 'not_found'
  | 'forbidden'
  | 'unauthorized'
  | 'conflict'
  | 'duplicate'
  | 'validation'
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  /** A write whose fate is unknown (timeout, dropped connection, gateway error): never retry blindly. */
  | 'unknown_outcome'
  | 'failed';

export class DataverseError extends Error {
  override name = 'DataverseError';
  constructor(
    readonly kind: DataverseErrorKind,
    /** Dataverse's own message (safe to show: it names records and privileges, not secrets). */
    message: string,
    readonly status: number | undefined,
    /** Dataverse error code such as `0x80040217`. */
    readonly code: string | undefined,
    /** The service's request id, for support. */
    readonly requestId: string | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** The privileges named in a 0x80040220 message (e.g. `prvReadIncident`). */
  get privileges(): string[] {
    return [...new Set(this.message.match(/\bprv[A-Za-z0-9_]+\b/g) ?? [])];
  }
}

const CODE_KINDS: Record<string, DataverseErrorKind> = {
  '0x80040217': 'not_found',
  '0x80040220': 'forbidden',
  '0x80040225': 'forbidden',
  '0x80048306': 'forbidden',
  '0x80040237': 'duplicate',
  '0x80040333': 'duplicate',
  '0x80060892': 'duplicate',
  '0x80060882': 'conflict',
  '0x80040203': 'validation',
  '0x80044331': 'validation',
  '0x80060888': 'validation',
  '0x8006088a': 'validation',
  '0x80048d19': 'validation',
};

export function classify(status: number, code: string | undefined): DataverseErrorKind {
  const byCode = code ? CODE_KINDS[code.toLowerCase()] : undefined;
  if (byCode) return byCode;
  if (status === 404) return 'not_found';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  if (status === 412 || status === 409) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 503 || status === 502 || status === 504) return 'unavailable';
  if (status === 400 || status === 422) return 'validation';
  return 'failed';
}

/** A sentence a model or a person can act on, for a tool's `isError` result. */
export function describeDataverseError(err: DataverseError, what: string): string {
  const ref = err.requestId ? ` (Dataverse request ${err.requestId})` : '';
  switch (err.kind) {
    case 'not_found':
      return `${what}: not found. Check the id, or search for the record first.`;
    case 'forbidden': {
      const names = err.privileges;
      if (names.length === 0) return `${what}: you do not have permission in Dataverse. ${err.message}`;
      const many = names.length > 1;
      return `${what}: your Dataverse security role lacks the ${names.join(', ')} privilege${many ? 's' : ''}. Ask an administrator to grant ${many ? 'them' : 'it'}.`;
    }
    case 'unauthorized':
      return `${what}: Dataverse did not accept your sign-in. Sign in again and retry.`;
    case 'conflict':
      return `${what}: the record changed since it was read (concurrency conflict). Read it again and retry.`;
    case 'duplicate':
      return `${what}: a matching record already exists. ${err.message}`;
    case 'validation':
      return `${what}: Dataverse rejected the request: ${err.message}`;
    case 'throttled':
      return `${what}: Dataverse is throttling requests. Retry after ${err.retryAfterSeconds ?? 30} s.`;
    case 'timeout':
      return `${what}: Dataverse did not answer in time. Retry shortly.`;
    case 'unknown_outcome':
      return `${what}: ${err.message}${ref}`;
    case 'unavailable':
      return `${what}: Dataverse is temporarily unavailable. ${err.message}${ref}`;
    default:
      return `${what}: Dataverse returned an error: ${err.message}${ref}`;
  }
}
