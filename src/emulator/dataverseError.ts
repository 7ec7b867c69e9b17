/**
 * Dataverse-shaped errors. Every failure the emulator answers is one of these, rendered as
 * `{"error":{"code":"0x…","message":"…"}}` with the status Dataverse uses for that code.
 */
export const ErrorCode = {
  /** ObjectDoesNotExist: "<entity> With Id = <id> Does Not Exist". */
  NotFound: '0x80040217',
  /** PrivilegeDenied: a security role lacks the privilege. */
  PrivilegeDenied: '0x80040220',
  /** The caller has a valid token but is no system user of this organisation. */
  NotMember: '0x80072560',
  /** AccessTokenExpired / missing token: "The requested resource requires authentication." */
  Unauthenticated: '0x8005F101',
  /** ConcurrencyVersionMismatch (If-Match etag differs). */
  ConcurrencyMismatch: '0x80060882',
  /** DuplicateRecord (key already exists). */
  DuplicateRecord: '0x80040237',
  /** OData URI/query parsing errors (unknown property, syntax, unsupported option). */
  QueryError: '0x80060888',
  /** Resource not found for the segment (unknown entity set / route). */
  ResourceNotFound: '0x8006088a',
  /** Errors in a request payload (unknown property, literal conversion). */
  PayloadError: '0x80048d19',
  /** A choice value outside the column's options. */
  OptionOutOfRange: '0x8004431a',
  /** A string longer than the column's MaxLength. */
  StringTooLong: '0x80044331',
  /** A number outside the column's MinValue/MaxValue. */
  NumberOutOfRange: '0x8004432f',
  /** InvalidArgument: business-rule and parameter validation. */
  InvalidArgument: '0x80040203',
  /** Service protection: number of requests. */
  RequestsLimit: '0x80072322',
  /** Service protection: combined execution time. */
  ExecutionTimeLimit: '0x80072321',
  /** Service protection: concurrent requests. */
  ConcurrencyLimit: '0x80072326',
  /** Generic unexpected failure. */
  Unexpected: '0x80040216',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DataverseError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'DataverseError';
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function notFound(logicalName: string, id: string): DataverseError {
  return new DataverseError(404, ErrorCode.NotFound, `${logicalName} With Id = ${id} Does Not Exist`);
}

export function queryError(message: string): DataverseError {
  return new DataverseError(400, ErrorCode.QueryError, message);
}

export function propertyNotFound(property: string, logicalName: string): DataverseError {
  return queryError(`Could not find a property named '${property}' on type 'Microsoft.Dynamics.CRM.${logicalName}'.`);
}

/** Payload errors are wrapped the way the Web API wraps ODataException for the entity set. */
export function payloadError(entitySetName: string, inner: string): DataverseError {
  return new DataverseError(
    400,
    ErrorCode.PayloadError,
    `Error identified in Payload provided by the user for Entity :'${entitySetName}', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ---->  InnerException : Microsoft.OData.ODataException: ${inner}`,
  );
}

export function invalidArgument(message: string): DataverseError {
  return new DataverseError(400, ErrorCode.InvalidArgument, message);
}

export function resourceNotFound(segment: string): DataverseError {
  return new DataverseError(404, ErrorCode.ResourceNotFound, `Resource not found for the segment '${segment}'.`);
}
