import { createHash } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import net, { isIP, type LookupFunction as NetLookupFunction, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { redactText, redactUrl } from '../../shared/endpoints/index.js';
import { PathGuardError } from '../../shared/errors.js';
import { addressScope, IpAddress } from '../../shared/net/ip.js';
import type { DnsAnswer, FetchErrorCode, Observation, VantageKind } from '../../shared/probes/types.js';
import { VERSION } from '../cli/version.js';
import { type ProbeRequest, requestUrl, type WireRequest, wireRequest } from './upload.js';

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
  /** Whole-request deadline: DNS, connect, TLS, request and body. @default 15000 */
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
  /**
   * Checks the address DNS gave before anything connects to it; a reason refuses it with
   * ADDRESS_NOT_ALLOWED (see {@link refuseSpecialAddress}). @default every address
   */
  readonly checkAddress?: (address: string) => string | null;
  /** Largest body read; the rest is discarded and counted. @default 1 MiB */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
}

/** A failure with the code the observation records; what phases throw and the deadline aborts with. */
class FetchFailure extends PathGuardError {
  declare readonly code: FetchErrorCode;

  constructor(code: FetchErrorCode, message: string) {
    super(code, message);
  }
}

/** The URL as the phases need it, read once. */
interface Target {
  /** Host name without IPv6 brackets: what DNS, SNI and the certificate check see. */
  readonly hostname: string;
  /** `host[:port]` as in the URL: the signed Host header. */
  readonly hostHeader: string;
  readonly port: number;
  readonly path: string;
  readonly isIpLiteral: boolean;
  /** TLS on the connection (https and no dialer: the lab's network carries plain HTTP). */
  readonly useTls: boolean;
}

/** What every phase shares: the one signal that ends the fetch, and the clock. */
interface FetchContext {
  readonly signal: AbortSignal;
  readonly clock: () => number;
  readonly t0: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Part of an error body kept to read S3's `<Code>`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const noop = () => {};

/**
 * Fetches one presigned URL (or uploads through a presigned PUT URL or POST form, see
 * {@link ProbeRequest}) the way a client in the vantage would and records what happened: DNS
 * answers, the connected remote and local address, TLS, status, S3 request ids, the ETag, a digest
 * of a downloaded body, timings and a coded error. Never throws; never follows redirects (a 307 is
 * evidence). The URL and form are credentials: the observation holds only the redacted URL.
 *
 * Named phases run in order (target, resolve, check, connect, TLS, request, body) under one
 * AbortSignal: the deadline aborts it, every phase awaits through it and writes the observation
 * only after its await, so a late callback (a DNS answer after the timeout) can neither start
 * the next phase nor change an observation already returned. The host is resolved once and the
 * connection goes to the address that was checked, never to a second resolution.
 */
export async function fetchProbe(request: string | ProbeRequest, opts: FetchOptions): Promise<Observation> {
  const probe: ProbeRequest = typeof request === 'string' ? { method: 'get', url: request } : request;
  const clock = opts.now ?? (() => performance.now());
  const t0 = clock();
  const obs = blankObservation(probe, opts);
  const controller = new AbortController();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = setTimeout(
    () => controller.abort(new FetchFailure('TIMEOUT', `no complete response within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await runPhases(probe, opts, obs, { signal: controller.signal, clock, t0 });
  } catch (e) {
    const failure = e instanceof FetchFailure ? e : classify(e as NodeJS.ErrnoException);
    obs.error = { code: failure.code, message: redactText(failure.message) };
  } finally {
    clearTimeout(deadline);
    // Ends whatever the phases opened (their sockets listen on the same signal).
    if (!controller.signal.aborted) controller.abort(new FetchFailure('NETWORK_ERROR', 'done'));
    obs.timingsMs.total = round(clock() - t0);
  }
  return obs;
}

/**
 * The observation of a probe refused before any network use (an order whose upload does not match
 * its digest): nothing resolved, nothing sent, the reason coded.
 */
export function refusedObservation(
  probe: { method: ProbeRequest['method']; url: string },
  opts: FetchOptions,
  code: FetchErrorCode,
  message: string,
): Observation {
  const obs = blankObservation(
    probe.method === 'post'
      ? { method: 'post', form: { url: probe.url, fields: {} }, body: new Uint8Array() }
      : { method: probe.method, url: probe.url, body: new Uint8Array() },
    opts,
  );
  obs.error = { code, message: redactText(message) };
  return obs;
}

async function runPhases(
  probe: ProbeRequest,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<void> {
  const target = readTarget(requestUrl(probe), opts, obs);
  const wire = wireRequest(probe);
  const address = await resolvePhase(target, opts, obs, ctx);
  checkPhase(address, opts);
  const socket = await connectPhase(target, address, opts, obs, ctx);
  const stream = target.useTls ? await tlsPhase(socket, target, opts, obs, ctx) : socket;
  const res = await requestPhase(stream, target, wire, opts, obs, ctx);
  await bodyPhase(res, opts, obs, ctx);
}

function blankObservation(probe: ProbeRequest, opts: FetchOptions): Observation {
  return {
    probeId: opts.probeId,
    runnerId: opts.runnerId,
    vantageKind: opts.vantageKind,
    method: probe.method,
    startedAt: new Date().toISOString(),
    // A POST form's url carries no secret (its fields do), but is read through the same redaction.
    urlRedacted: redactUrl(requestUrl(probe)),
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
    etag: null,
    timingsMs: { dns: null, connect: null, tls: null, firstByte: null, total: 0 },
    error: null,
  };
}

/** Target phase: the URL parsed, its scheme and its host checked before any network use. */
function readTarget(url: string, opts: FetchOptions, obs: Observation): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FetchFailure('NETWORK_ERROR', 'not a URL');
  }
  obs.host = parsed.hostname;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new FetchFailure('NETWORK_ERROR', `scheme ${parsed.protocol} not supported`);
  }
  if (opts.allowedHosts) {
    const host = parsed.hostname.toLowerCase();
    const withPort = parsed.port ? `${host}:${parsed.port}` : host;
    if (!opts.allowedHosts.some((h) => h.toLowerCase() === withPort)) {
      throw new FetchFailure('HOST_NOT_ALLOWED', `host ${withPort} is not in the allowed hosts`);
    }
  }
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
  return {
    hostname,
    hostHeader: parsed.host,
    port: parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80,
    path: `${parsed.pathname}${parsed.search}`,
    isIpLiteral: isIP(hostname) !== 0,
    useTls: parsed.protocol === 'https:' && !opts.dial,
  };
}

const systemLookup: LookupFn = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * Resolve phase: one lookup through the vantage's DNS, every answer recorded; the first answer is
 * the address connected (what a client's default lookup would use). An IP literal is not looked up.
 */
async function resolvePhase(
  t: Target,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<DnsAnswer> {
  if (t.isIpLiteral) return { address: t.hostname, family: isIP(t.hostname) === 6 ? 6 : 4 };
  const lookup = opts.lookup ?? systemLookup;
  const tDns = ctx.clock();
  const answer = await abortable<{ err: NodeJS.ErrnoException | null; addrs: LookupAddress[] }>(
    ctx.signal,
    (resolve) => {
      try {
        lookup(t.hostname, { all: true }, (err, addrs) => resolve({ err, addrs }));
      } catch (e) {
        resolve({ err: e as NodeJS.ErrnoException, addrs: [] });
      }
      return noop;
    },
  );
  obs.timingsMs.dns = round(ctx.clock() - tDns);
  if (answer.err || !answer.addrs || answer.addrs.length === 0) {
    // A custom resolver may fail with any code: no answer is a DNS failure whatever it says.
    const code = answer.err?.code ?? 'ENOTFOUND';
    obs.dns = { answers: [], error: code };
    throw new FetchFailure('DNS_FAILURE', `${t.hostname}: ${code}`);
  }
  const answers: DnsAnswer[] = answer.addrs.map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));
  obs.dns = { answers };
  return answers[0]!;
}

/** Check phase: the address about to be connected, against the caller's policy. */
function checkPhase(address: DnsAnswer, opts: FetchOptions): void {
  const why = opts.checkAddress?.(address.address);
  if (why) throw new FetchFailure('ADDRESS_NOT_ALLOWED', why);
}

/** Connect phase: TCP to the checked address itself (or through the lab's dialer), nothing resolved again. */
async function connectPhase(
  t: Target,
  address: DnsAnswer,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<Socket> {
  const tConnect = ctx.clock();
  const socket = opts.dial
    ? opts.dial(address.address, t.port)
    : net.connect({ host: address.address, port: t.port, family: address.family });
  holdUntilDone(ctx.signal, socket);
  await abortable<void>(ctx.signal, (resolve, reject) => {
    if (!socket.connecting && socket.remoteAddress !== undefined) {
      resolve();
      return noop;
    }
    socket.once('connect', resolve);
    socket.once('error', reject);
    return () => socket.off('connect', resolve).off('error', reject);
  });
  obs.timingsMs.connect = round(ctx.clock() - tConnect);
  // With a dialer the logical remote is the address DNS gave (the lab's scenario address).
  obs.remoteAddress = opts.dial ? address.address : (socket.remoteAddress ?? null);
  obs.remotePort = opts.dial ? t.port : (socket.remotePort ?? null);
  obs.localAddress = socket.localAddress ?? null;
  obs.localPort = socket.localPort ?? null;
  return socket;
}

/** TLS phase: the handshake on the connected socket, SNI only for names (RFC 6066). */
async function tlsPhase(
  socket: Socket,
  t: Target,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<TLSSocket> {
  const tTls = ctx.clock();
  const secure = tls.connect({
    socket,
    host: t.hostname,
    ...(t.isIpLiteral ? {} : { servername: t.hostname }),
    ...(opts.ca ? { ca: opts.ca } : {}),
    rejectUnauthorized: opts.rejectUnauthorized !== false,
    ALPNProtocols: ['http/1.1'],
  });
  holdUntilDone(ctx.signal, secure);
  await abortable<void>(ctx.signal, (resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
    return () => secure.off('secureConnect', resolve).off('error', reject);
  });
  obs.timingsMs.tls = round(ctx.clock() - tTls);
  obs.tls = {
    version: secure.getProtocol() ?? null,
    cipher: secure.getCipher()?.name ?? null,
    servername: (secure as { servername?: string | false }).servername || null,
  };
  return secure;
}

/**
 * Request phase: one GET, PUT or POST on the open connection (an upload's bytes sent whole), until
 * the response head arrives.
 */
async function requestPhase(
  stream: Socket,
  t: Target,
  wire: WireRequest,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<http.IncomingMessage> {
  const req = http.request({
    method: wire.method,
    host: t.hostname,
    port: t.port,
    path: t.path,
    headers: {
      'user-agent': `pathguard/${VERSION} runner/${opts.runnerId} probe/${opts.probeId}`,
      host: t.hostHeader,
      ...wire.headers,
    },
    // No agent: the request goes on this connection, to the address checked above.
    createConnection: () => stream,
  });
  holdUntilDone(ctx.signal, req);
  const res = await abortable<http.IncomingMessage>(ctx.signal, (resolve, reject) => {
    req.once('response', resolve);
    req.on('error', reject);
    if (wire.body) req.end(wire.body);
    else req.end();
    return () => req.off('response', resolve);
  });
  obs.timingsMs.firstByte = round(ctx.clock() - ctx.t0);
  obs.httpStatus = res.statusCode ?? null;
  obs.requestId = header(res.headers['x-amz-request-id']);
  obs.hostId = header(res.headers['x-amz-id-2']);
  obs.etag = header(res.headers.etag);
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) obs.redirectHost = redirectHost(res.headers.location, t);
  return res;
}

/**
 * Body phase: digest of a downloaded body (up to the cap) and the verdict on its bytes, S3's error
 * code. An upload's 2xx body is read and dropped: its proof is S3's acceptance of the signed length
 * and checksum, and the ETag.
 */
async function bodyPhase(
  res: http.IncomingMessage,
  opts: FetchOptions,
  obs: Observation,
  ctx: FetchContext,
): Promise<void> {
  const status = res.statusCode ?? 0;
  const max = opts.maxBodyBytes ?? 1024 * 1024;
  const hash = createHash('sha256');
  const errChunks: Buffer[] = [];
  let bytes = 0;
  await abortable<void>(ctx.signal, (resolve, reject) => {
    res.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= max) hash.update(c);
      if (status >= 400 && bytes <= MAX_ERROR_BODY_BYTES) errChunks.push(c);
    });
    res.once('end', resolve);
    res.on('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new FetchFailure('NETWORK_ERROR', 'connection closed before the body ended'));
    });
    return noop;
  });
  obs.bodyBytes = bytes;
  if (status >= 200 && status < 300 && obs.method === 'get') {
    obs.bodySha256 = hash.digest('hex');
    if (opts.expectedSha256) {
      obs.bodyMatches = obs.bodySha256 === opts.expectedSha256;
      if (!obs.bodyMatches)
        throw new FetchFailure('SHA_MISMATCH', 'body does not match the probe object (digest differs)');
    }
  } else if (status >= 400) {
    const xml = Buffer.concat(errChunks).toString('utf8');
    obs.s3ErrorCode = s3ErrorCode(xml);
    obs.s3ErrorMessage = s3ErrorMessage(xml);
    throw new FetchFailure('HTTP_ERROR', `HTTP ${status}${obs.s3ErrorCode ? ` ${obs.s3ErrorCode}` : ''}`);
  }
}

/**
 * A promise that settles once: through `start`'s callbacks, or with the signal's reason when it
 * aborts first (then `start`'s cleanup runs). Late callbacks after either are ignored.
 */
function abortable<T>(
  signal: AbortSignal,
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let cleanup = noop;
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    cleanup = start(
      (v) => {
        done();
        resolve(v);
      },
      (e) => {
        done();
        reject(e);
      },
    );
  });
}

/**
 * Ties a socket or request to the fetch: destroyed when the signal aborts (deadline or end of the
 * fetch). Its errors are taken by the phase awaiting it; between phases they must not crash.
 */
function holdUntilDone(signal: AbortSignal, resource: Socket | http.ClientRequest): void {
  resource.on('error', noop);
  if (signal.aborted) resource.destroy();
  else signal.addEventListener('abort', () => resource.destroy(), { once: true });
}

/**
 * An address policy for {@link FetchOptions.checkAddress}: refuses the addresses no S3 endpoint
 * can have, loopback, link-local (169.254.169.254 is the instance metadata service), unspecified
 * and multicast (the `special` scope of shared/net/ip.ts). A DNS answer naming one of them for an
 * S3 host is an attack on the runner's own machine, not a path to S3.
 */
export function refuseSpecialAddress(address: string): string | null {
  const ip = new IpAddress();
  if (!ip.parse(address)) return `DNS answer ${address} is not an IP address`;
  if (addressScope(ip) === 'special')
    return `DNS answer ${address} is a loopback, link-local, multicast or unspecified address, never an S3 endpoint`;
  return null;
}

/**
 * A `lookup` for Node's http(s).request that resolves with the system resolver and refuses the
 * answer when `check` refuses any address in it. Node calls it once per connection and connects
 * only to the addresses it returned, so what is checked is what is connected. For the runner's
 * own requests (order, reports); probe fetches run their own resolve and check phases.
 */
export function checkedLookup(check: (address: string) => string | null): NetLookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, '');
      const refused = addrs.map((a) => check(a.address)).find((why) => why !== null);
      if (refused) return callback(Object.assign(new Error(refused), { code: 'EADDRNOTALLOWED' }), '');
      if (options.all) return callback(null, addrs);
      const first = addrs[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      return callback(null, first.address, first.family);
    });
  };
}

function header(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

/** Only the host of a redirect's Location: the rest may carry a presigned query. */
function redirectHost(location: string | string[] | undefined, t: Target): string | null {
  const loc = header(location);
  if (!loc) return null;
  try {
    return new URL(loc, `http://${t.hostHeader}/`).hostname;
  } catch {
    return null;
  }
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

function classify(e: NodeJS.ErrnoException): FetchFailure {
  const c = e.code ?? '';
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'ENODATA') return new FetchFailure('DNS_FAILURE', c);
  if (c === 'ECONNREFUSED') return new FetchFailure('CONNECTION_REFUSED', c);
  if (c === 'ETIMEDOUT' || c === 'ESOCKETTIMEDOUT') return new FetchFailure('TIMEOUT', c);
  if (
    c.startsWith('ERR_TLS') ||
    c.startsWith('CERT_') ||
    c === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    c === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    c === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /ssl|tls/i.test(e.message ?? '')
  ) {
    return new FetchFailure('TLS_ERROR', c || e.message);
  }
  return new FetchFailure('NETWORK_ERROR', c || e.message || String(e));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
