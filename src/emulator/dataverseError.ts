/**
 * Dataverse-shaped errors. Every failure the emulator answers is one of these, rendered as
 * `{"error":{"code":"0x…","message":"…"}}` ("Parse errors from the response") with the status
 * Dataverse uses for that code ("Identify status codes": 403 PrivilegeDenied, 412 DuplicateRecord
 * and ConcurrencyVersionMismatch, …), both on
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors.
 * Codes: https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes.
 */
export const ErrorCode = {
  /** ObjectDoesNotExist: "account With Id = … Does Not Exist", 404 (perform-conditional-operations-using-web-api, Prevent create in upsert). */
  NotFound: '0x80040217',
  /** PrivilegeDenied, 403: "Principal user is missing privilege" (-2147220960, https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors). */
  PrivilegeDenied: '0x80040220',
  /** 403 "The user is not a member of the organization." (https://learn.microsoft.com/dynamics365/fin-ops-core/data-entities/dual-write/dual-write-troubleshooting-live-sync). */
  NotMember: '0x80072560',
  /** AccessTokenExpired / missing token: "The requested resource requires authentication." */
  Unauthenticated: '0x8005F101',
  /** ConcurrencyVersionMismatch, 412 (If-Match etag differs; perform-conditional-operations-using-web-api). */
  ConcurrencyMismatch: '0x80060882',
  /** DuplicateRecord, 412: "Cannot insert duplicate key" (-2147220937, https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors). */
  DuplicateRecord: '0x80040237',
  /** OData URI/query parsing errors (unknown property, syntax, unsupported option), as in the join-tables error examples (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables). */
  QueryError: '0x80060888',
  /** 404 "Resource not found for the segment 'Account'." (https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors). */
  ResourceNotFound: '0x8006088a',
  /** "Error identified in Payload provided by the user for Entity" (https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors). */
  PayloadError: '0x80048d19',
  /** A choice value outside the column's options. */
  OptionOutOfRange: '0x8004431a',
  /** A string longer than the column's MaxLength. */
  StringTooLong: '0x80044331',
  /** A number outside the column's MinValue/MaxValue. */
  NumberOutOfRange: '0x8004432f',
  /** InvalidArgument: business-rule and parameter validation. */
  InvalidArgument: '0x80040203',
  /** Service protection, 429 (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits): number of requests, -2147015902. */
  RequestsLimit: '0x80072322',
  /** Service protection: combined execution time, -2147015903. */
  ExecutionTimeLimit: '0x80072321',
  /** Service protection: concurrent requests, -2147015898. */
  ConcurrencyLimit: '0x80072326',
  /** AggregateQueryRecordLimit, -2147164125: an aggregate over more than 50,000 rows (https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/aggregate-data#limitations). */
  AggregateQueryRecordLimit: '0x8004E023',
  /** 400 "Dataverse Search feature is disabled for this organization." (search overview, Error when search isn't enabled, https://learn.microsoft.com/power-apps/developer/data-platform/search/overview). */
  SearchDisabled: '0x80048d0b',
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

/** "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'." (web-api-client-errors page above; names are case-sensitive). */
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
