// Test doubles for the AWS adapters' tests: a scripted HTTP handler under a real SDK client (so
// its retry strategy, signing and error parsing run), error bodies as each service's protocol
// spells them, and S3 GetObject bodies that stream or break mid-way.
import { Readable } from 'node:stream';
import { vi } from 'vitest';

/** One canned HTTP answer, or a network error thrown by the handler. */
export type FakeAnswer = { status: number; headers?: Record<string, string>; body?: string } | Error;

export interface FakeRequest {
  method: string;
  hostname: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: string;
}

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString();
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const parts: Buffer[] = [];
    for await (const c of body as AsyncIterable<Uint8Array | string>) parts.push(Buffer.from(c));
    return Buffer.concat(parts).toString();
  }
  return '';
}

/**
 * A request handler that answers from a script instead of the network: a list (the last answer
 * repeats once the list is used up) or a function of the request (a stateful fake service).
 */
export function fakeHttp(answers: FakeAnswer[] | ((req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>)) {
  const requests: FakeRequest[] = [];
  let i = 0;
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(req: {
      method: string;
      hostname: string;
      path: string;
      query?: Record<string, unknown>;
      headers: Record<string, string>;
      body?: unknown;
    }) {
      const r: FakeRequest = {
        method: req.method,
        hostname: req.hostname,
        path: req.path,
        query: req.query ?? {},
        headers: req.headers,
        body: await bodyText(req.body),
      };
      requests.push(r);
      const a =
        typeof answers === 'function' ? await answers(r) : answers[Math.min(i++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return {
        response: {
          statusCode: a.status,
          reason: '',
          headers: { 'content-type': 'text/xml', ...(a.headers ?? {}) },
          body: Readable.from([Buffer.from(a.body ?? '')]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return { handler: handler as never, requests };
}

/** The AWS documentation's example key pair: signs requests that never leave the process. */
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/**
 * Awaits a promise whose SDK retry backoff sleeps on timers, under a fake clock: advances it until
 * the promise settles, so backoff and adaptive rate limiting run without slowing the suite.
 */
export async function underFakeClock<T>(start: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  try {
    const p = start();
    let done = false;
    p.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    for (let k = 0; k < 10_000 && !done; k++) await vi.advanceTimersByTimeAsync(250);
    return await p;
  } finally {
    vi.useRealTimers();
  }
}

/** SNS (query protocol) error body. [SNS API Reference, Common Errors] */
export function snsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>9b2f5f9e-3b3a-5d0e-8c51-0e5b2ad3c3a1</RequestId></ErrorResponse>`;
}

/** EC2 (ec2 query protocol) error body. [EC2 API Reference, Error codes] */
export function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`;
}

/** S3 REST XML error body. [S3 API Reference, Error responses] */
export function s3ErrorBody(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>`;
}

/** An S3 GetObject body as the SDK returns it (a Node stream with the SDK's helpers). */
export function s3Body(chunks: (Uint8Array | string)[], failAfter?: Error): never {
  async function* gen() {
    for (const c of chunks) yield typeof c === 'string' ? Buffer.from(c) : Buffer.from(c);
    if (failAfter) throw failAfter;
  }
  const stream = Readable.from(gen());
  // The helpers the SDK mixes into a response body.
  return Object.assign(stream, {
    async transformToByteArray() {
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      return new Uint8Array(Buffer.concat(parts));
    },
    async transformToString(encoding: BufferEncoding = 'utf8') {
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      return Buffer.concat(parts).toString(encoding);
    },
  }) as never;
}

/** A socket reset as Node reports it. */
export function connReset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', name: 'Error' });
}
