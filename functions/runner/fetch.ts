import { createHash } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { redactText, redactUrl } from '../../shared/endpoints/index.js';
import type { DnsAnswer, FetchErrorCode, Observation, VantageKind } from '../../shared/probes/types.js';
import { VERSION } from '../cli/version.js';

/** Node's `lookup` signature for http(s).request, restricted to what we use. */
export type LookupFn = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface FetchOptions {
  readonly runnerId: string;
  readonly probeId: string;
  readonly vantageKind: VantageKind;
  readonly expectedSha256?: string;
  /** Whole-request deadline. @default 15000 */
  readonly timeoutMs?: number;
  /** DNS as this vantage sees it. @default the system resolver */
  readonly lookup?: LookupFn;
  /**
   * Opens the TCP connection for an address the lookup returned (the lab maps scenario addresses
   * to its loopback forwarders). When set, the connection is plain HTTP whatever the URL scheme:
   * the lab network carries TLS-less traffic, and the URL's host stays the signed Host header.
   */
  readonly dial?: (address: string, port: number) => Socket;
  /** Extra CA certificates (tests with a self-signed server). */
  readonly ca?: string | Buffer;
  /**
   * Verify the server certificate. Only tests turn this off; a runner never does, since an
   * unverified peer proves nothing about which service answered. @default true
   */
  readonly rejectUnauthorized?: boolean;
  /**
   * Exact hosts (`host`, or `host:port` for a non-default port) this fetch may contact, compared
   * case-insensitively before any DNS lookup. A second guard behind order validation: a URL
   * outside the list is refused with HOST_NOT_ALLOWED and never resolved. @default any host
   */
  readonly allowedHosts?: readonly string[];
  /** Largest body read; the rest is discarded and counted. @default 1 MiB */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
}

/**
 * Fetches one presigned URL the way a client in the vantage would and records what happened:
 * DNS answers, the connected remote and local address, TLS, status, S3 request ids, a digest of the
 * body, timings and a coded error. Never throws; never follows redirects (a 307 is evidence).
 * The URL is credentials: it appears in the observation only redacted.
 */
export function fetchProbe(url: string, opts: FetchOptions): Promise<Observation> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const startedAt = new Date().toISOString();
  const obs: Observation = {
    probeId: opts.probeId,
    runnerId: opts.runnerId,
    vantageKind: opts.vantageKind,
    startedAt,
    urlRedacted: redactUrl(url),
    host: '',
    dns: null,
    remoteAddress: null,
    remotePort: null,
    localAddress: null,
    localPort: null,
    tls: null,
    httpStatus: null,
    requestId: null,
    hostId: null,
    redirectHost: null,
    s3ErrorCode: null,
    s3ErrorMessage: null,
    bodyBytes: 0,
    bodySha256: null,
    bodyMatches: null,
    timingsMs: { dns: null, connect: null, tls: null, firstByte: null, total: 0 },
    error: null,
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    obs.error = { code: 'NETWORK_ERROR', message: 'not a URL' };
    return Promise.resolve(obs);
  }
  obs.host = parsed.hostname;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    obs.error = { code: 'NETWORK_ERROR', message: `scheme ${parsed.protocol} not supported` };
    return Promise.resolve(obs);
  }
  if (opts.allowedHosts) {
    const host = parsed.hostname.toLowerCase();
    const withPort = parsed.port ? `${host}:${parsed.port}` : host;
    if (!opts.allowedHosts.some((h) => h.toLowerCase() === withPort)) {
      obs.error = { code: 'HOST_NOT_ALLOWED', message: `host ${withPort} is not in the allowed hosts` };
      return Promise.resolve(obs);
    }
  }
  const answers: DnsAnswer[] = [];
  const baseLookup: LookupFn =
    opts.lookup ??
    ((h, o, cb) => dnsLookup(h, o, cb as (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void));
  // Records every answer, then hands Node the first (as the default lookup would connect to it).
  const recordingLookup = (
    hostname: string,
    options: { family?: number },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const tDns = now();
    baseLookup(
      hostname,
      { all: true, ...(options.family ? { family: options.family } : {}) },
      (err, addrs) => {
        obs.timingsMs.dns = round(now() - tDns);
        if (err || !addrs || addrs.length === 0) {
          obs.dns = { answers: [], error: err?.code ?? 'ENOTFOUND' };
          callback(
            err ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
            4,
          );
          return;
        }
        for (const a of addrs) answers.push({ address: a.address, family: a.family === 6 ? 6 : 4 });
        obs.dns = { answers };
        const wantsAll = (options as { all?: boolean }).all === true;
        if (wantsAll) callback(null, addrs);
        else callback(null, addrs[0]!.address, addrs[0]!.family);
      },
    );
  };

  return new Promise<Observation>((resolve) => {
    let settled = false;
    const hash = createHash('sha256');
    const max = opts.maxBodyBytes ?? 1024 * 1024;
    const finish = (err?: { code: FetchErrorCode; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err && !obs.error) obs.error = { code: err.code, message: redactText(err.message) };
      obs.timingsMs.total = round(now() - t0);
      resolve(obs);
    };
    const isHttps = parsed.protocol === 'https:' && !opts.dial;
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
    const headers = {
      'user-agent': `pathguard/${VERSION} runner/${opts.runnerId} probe/${opts.probeId}`,
      host: parsed.host,
    };
    const reqOpts: https.RequestOptions = {
      method: 'GET',
      host: parsed.hostname,
      port,
      path: `${parsed.pathname}${parsed.search}`,
      headers,
      agent: false,
      lookup: recordingLookup as unknown as https.RequestOptions['lookup'],
      ...(isHttps
        ? {
            // SNI carries names only (RFC 6066); Node warns when given an IP literal.
            ...(isIP(parsed.hostname.replace(/^\[|\]$/g, '')) === 0 ? { servername: parsed.hostname } : {}),
            ...(opts.ca ? { ca: opts.ca } : {}),
            ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          }
        : {}),
    };
    const timer = setTimeout(() => {
      finish({ code: 'TIMEOUT', message: `no complete response within ${opts.timeoutMs ?? 15000} ms` });
      current?.destroy();
    }, opts.timeoutMs ?? 15000);
    let current: http.ClientRequest | undefined;
    const start = (socket?: Socket) => {
      if (socket) {
        // Node uses createConnection only when no agent is set (agent: false builds one).
        delete reqOpts.agent;
        reqOpts.createConnection = (() => socket) as unknown as http.RequestOptions['createConnection'];
      }
      send();
    };
    if (opts.dial) {
      // Resolve through the vantage's DNS (recorded), then let the dialer connect the address.
      const dial = opts.dial;
      recordingLookup(parsed.hostname, {}, (err, address) => {
        if (err) {
          finish({ code: 'DNS_FAILURE', message: `${parsed.hostname}: ${err.code ?? err.message}` });
          return;
        }
        start(dial(String(address), port));
      });
    } else start();
    function send(): void {
      const tConnectStart = now();
      const req = (isHttps ? https : http).request(reqOpts, (res) => {
        obs.timingsMs.firstByte = round(now() - t0);
        obs.httpStatus = res.statusCode ?? null;
        obs.requestId = header(res.headers['x-amz-request-id']);
        obs.hostId = header(res.headers['x-amz-id-2']);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          const loc = header(res.headers.location);
          try {
            obs.redirectHost = loc ? new URL(loc, url).hostname : null;
          } catch {
            obs.redirectHost = null;
          }
        }
        let bytes = 0;
        const errChunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes <= max) hash.update(c);
          if (status >= 400 && bytes <= 64 * 1024) errChunks.push(c);
        });
        res.on('end', () => {
          obs.bodyBytes = bytes;
          if (status >= 200 && status < 300) {
            obs.bodySha256 = hash.digest('hex');
            if (opts.expectedSha256) {
              obs.bodyMatches = obs.bodySha256 === opts.expectedSha256;
              if (!obs.bodyMatches) {
                finish({
                  code: 'SHA_MISMATCH',
                  message: 'body does not match the probe object (digest differs)',
                });
                return;
              }
            }
            finish();
            return;
          }
          if (status >= 400) {
            const xml = Buffer.concat(errChunks).toString('utf8');
            obs.s3ErrorCode = s3ErrorCode(xml);
            obs.s3ErrorMessage = s3ErrorMessage(xml);
            finish({
              code: 'HTTP_ERROR',
              message: `HTTP ${status}${obs.s3ErrorCode ? ` ${obs.s3ErrorCode}` : ''}`,
            });
            return;
          }
          finish();
        });
        res.on('error', (e) => finish(classify(e)));
      });
      req.on('socket', (socket: Socket) => {
        const onConnect = () => {
          obs.timingsMs.connect = round(now() - tConnectStart);
          // With a dialer the logical remote is the address DNS gave (the lab's scenario address).
          obs.remoteAddress = opts.dial
            ? (answers[0]?.address ?? socket.remoteAddress ?? null)
            : (socket.remoteAddress ?? null);
          obs.remotePort = opts.dial ? port : (socket.remotePort ?? null);
          obs.localAddress = socket.localAddress ?? null;
          obs.localPort = socket.localPort ?? null;
        };
        if ((socket as Socket & { connecting?: boolean }).connecting) socket.once('connect', onConnect);
        else onConnect();
        if (isHttps) {
          socket.once('secureConnect', () => {
            const tls = socket as TLSSocket;
            obs.timingsMs.tls = round(now() - tConnectStart - (obs.timingsMs.connect ?? 0));
            obs.tls = {
              version: tls.getProtocol?.() ?? null,
              cipher: tls.getCipher?.()?.name ?? null,
              servername: (tls as TLSSocket & { servername?: string | false }).servername || null,
            };
          });
        }
      });
      req.on('error', (e) => {
        // A custom lookup may fail with any code: no answer and no connection is a DNS failure.
        if (obs.dns?.error !== undefined && obs.remoteAddress === null)
          finish({ code: 'DNS_FAILURE', message: `${parsed.hostname}: ${obs.dns.error}` });
        else finish(classify(e));
      });
      current = req;
      req.end();
    }
  });
}

function header(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

/** The `<Code>` of an S3 XML error body. */
export function s3ErrorCode(xml: string): string | null {
  const m = /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(xml);
  return m ? m[1]! : null;
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&quot;': '"',
  '&apos;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};

/**
 * The `<Message>` of an S3 XML error body, entities decoded, at most 1,000 characters. It names
 * why a 403 was refused (aws-facts §10.1: "Request has expired", "… with an explicit deny in a VPC
 * endpoint policy"), which decides whether the refusal says anything about the path. Redacted:
 * an error body may echo request parameters.
 */
export function s3ErrorMessage(xml: string): string | null {
  const m = /<Message>([^<]{1,4000})<\/Message>/.exec(xml);
  if (!m) return null;
  const text = m[1]!.replace(/&(?:quot|apos|lt|gt|amp);/g, (e) => XML_ENTITIES[e] ?? e).trim();
  return text === '' ? null : redactText(text.slice(0, 1000));
}

function classify(e: NodeJS.ErrnoException): { code: FetchErrorCode; message: string } {
  const c = e.code ?? '';
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'ENODATA')
    return { code: 'DNS_FAILURE', message: `${c}` };
  if (c === 'ECONNREFUSED') return { code: 'CONNECTION_REFUSED', message: c };
  if (c === 'ETIMEDOUT' || c === 'ESOCKETTIMEDOUT') return { code: 'TIMEOUT', message: c };
  if (
    c.startsWith('ERR_TLS') ||
    c.startsWith('CERT_') ||
    c === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    c === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    c === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /ssl|tls/i.test(e.message)
  ) {
    return { code: 'TLS_ERROR', message: c || e.message };
  }
  return { code: 'NETWORK_ERROR', message: c || e.message };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
