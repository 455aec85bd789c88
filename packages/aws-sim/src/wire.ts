import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** The AWS wire protocols the CLI's services speak (restXml: Route 53). */
export type Protocol = 'awsJson' | 'awsQuery' | 'ec2Query' | 'restJson' | 'restXml';

/** An HTTP response the proxy sends back (from moto, rewritten, or made up). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Writes `reply` to `res` (content-length from its body). */
export function sendReply(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
  res.end(reply.body);
}

export function jsonReply(value: unknown, status = 200, contentType = 'application/x-amz-json-1.1'): Reply {
  return { status, headers: { 'content-type': contentType, 'x-amzn-requestid': randomUUID() }, body: Buffer.from(JSON.stringify(value)) };
}

export function xmlReply(xml: string, status = 200): Reply {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: Buffer.from(xml) };
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * An error in the exact shape each protocol's SDK v3 deserializer reads, so `err.name` is what AWS
 * would give: awsJson `__type`, awsQuery/ec2Query `<Code>`, restJson `x-amzn-ErrorType`.
 */
export function errorReply(protocol: Protocol, code: string, message: string, status = 400, extra: Record<string, unknown> = {}): Reply {
  const requestId = randomUUID();
  switch (protocol) {
    case 'awsJson':
      return {
        status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
        body: Buffer.from(JSON.stringify({ __type: code, message, ...extra })),
      };
    case 'restJson':
      return {
        status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
        body: Buffer.from(JSON.stringify({ message, ...extra })),
      };
    case 'awsQuery':
    case 'restXml': {
      const type = status >= 500 ? 'Receiver' : 'Sender';
      return xmlReply(
        `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
        status,
      );
    }
    case 'ec2Query':
      return xmlReply(
        `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
          `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        status,
      );
  }
}

/** Thrown by a rule to reject a call; the proxy turns it into `errorReply` for the call's protocol. */
export class AwsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
