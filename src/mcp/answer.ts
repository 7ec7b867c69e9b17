/**
 * An HTTP answer whose body is already bytes. The hot paths (a shared server's JSON result, a cached
 * tools/list) give these instead of a web Response: a Response with its Headers and body stream,
 * read back out of the stream by the host, was ~15 % of a trivial call's CPU. Hosts write one as it
 * is; `toResponse` makes a web Response of it where one is needed.
 */
export class PreparedAnswer {
  constructor(
    readonly status: number,
    /** Lower-case names; the answer is the caller's, so headers may still be added to it. */
    readonly headers: Record<string, string>,
    /** A string is UTF-8; node writes it with its head in one write, where bytes take a writev. */
    readonly body: Uint8Array | string,
  ) {}

  get byteLength(): number {
    return typeof this.body === 'string' ? Buffer.byteLength(this.body) : this.body.byteLength;
  }
}

/** What the MCP handlers answer with: a web Response, or an answer whose body is already bytes. */
export type Answer = Response | PreparedAnswer;

/** A JSON answer of `message` as the SDK's transport writes it (`Response.json`: the same bytes, the same header). */
export function jsonAnswer(message: unknown, status = 200): PreparedAnswer {
  return new PreparedAnswer(status, { 'content-type': 'application/json' }, JSON.stringify(message));
}

export function toResponse(answer: Answer): Response {
  if (answer instanceof Response) return answer;
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** The value of a header of either kind of answer (names are case-insensitive). */
export function answerHeader(answer: Answer, name: string): string | null {
  if (answer instanceof Response) return answer.headers.get(name);
  return answer.headers[name.toLowerCase()] ?? null;
}
