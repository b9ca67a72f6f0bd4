import type { LookupAddress } from 'node:dns';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFlowRecord } from '../../../shared/flow-logs/index.js';
import type { LabRequestOrigin } from '../s3/server.js';
import {
  type ForwardedConnection,
  flowRecordsFor,
  LAB_FLOW_LOG_FORMAT,
  type LabFlowRecord,
} from './flow-records.js';
import { LAB_PATHS, type LabPath, type LabTrace, resolveLabName, traceLabPath } from './paths.js';
import type { LabScenario, LabScenarioVantage } from './scenario.js';
import { originOf } from './simulate.js';

/** What the network needs of the S3 endpoint: where it listens, and a way to tell it origins. */
export interface LabNetworkUpstream {
  readonly address: string;
  readonly port: number;
  setOriginResolver(resolve: ((socket: net.Socket) => LabRequestOrigin | null) | null): void;
}

/** Options of {@link startLabNetwork}. */
export interface LabNetworkOptions {
  /**
   * Folder for the flow log files (kept after close). @default a new folder under the system
   * temporary folder, removed by close()
   */
  readonly flowLogDir?: string;
  /** Destination ports given a forwarder per address. @default [443, 80] */
  readonly ports?: readonly number[];
  /** Clock for flow-record times. @default Date.now */
  readonly now?: () => number;
}

/** Node's `dns.lookup` signatures, as http(s).request's `lookup` option and the runner call them. */
export interface LabLookup {
  (
    hostname: string,
    options: { all: true; family?: number },
    callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ): void;
  (
    hostname: string,
    options: { all?: false; family?: number } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
  ): void;
}

/** One vantage of a running lab network: its DNS and its routing, for a runner. */
export interface LabVantage {
  readonly id: string;
  readonly kind: 'vpc' | 'onprem';
  /** The scenario addresses the vantage's DNS answers for a name (`[]`: no answer). */
  resolve(hostname: string): string[];
  /**
   * DNS as the vantage sees it, in `dns.lookup`'s shape. It answers with scenario addresses
   * (public S3 addresses among them): connect through {@link dial} or {@link connectTarget}, never
   * to the answer itself, so traffic stays on loopback.
   */
  readonly lookup: LabLookup;
  /** The path a connection to a scenario address takes (`traceLabPath`); `delivered` false: dropped. */
  route(address: string): LabTrace;
  /** The loopback forwarder that carries a connection to `address:port`, or null (unreachable). */
  connectTarget(address: string, port: number): { host: string; port: number } | null;
  /**
   * Opens a TCP connection to a scenario address the way the vantage's network would carry it.
   * An unreachable address gives a socket that fails with EHOSTUNREACH.
   */
  dial(address: string, port: number): net.Socket;
}

/** A running lab network. */
export interface LabNetwork {
  readonly scenario: LabScenario;
  vantage(id: string): LabVantage;
  /** The folder holding one flow log file per ENI (`<eni-id>.log`, one record per line, no header). */
  readonly flowLogDir: string;
  /** The loopback address each path's forwarders listen on. */
  readonly pathAddresses: ReadonlyMap<LabPath, string>;
  /** Every flow record written so far, with its ENI, in write order. */
  flowRecords(): LabFlowRecord[];
  /** The origin AWS would report for a connection the S3 endpoint accepted from a forwarder. */
  originFor(socket: net.Socket): LabRequestOrigin | null;
  /** {@link originFor}'s Remote IP alone. */
  remoteIpFor(socket: net.Socket): string | null;
  /** Resolves once every forwarded connection has closed and its flow records are on disk. */
  idle(): Promise<void>;
  /** Closes forwarders and connections, detaches from the S3 endpoint, removes a temporary folder. */
  close(): Promise<void>;
}

/** The first loopback address of the lab's paths (127.0.0.21 …); each path gets its own. */
const FIRST_PATH_HOST = 21;

function unmapped(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1';
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(0, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function unreachable(address: string, port: number): net.Socket {
  const sock = new net.Socket();
  process.nextTick(() =>
    sock.destroy(
      Object.assign(new Error(`lab network: no route to ${address}:${port}`), {
        code: 'EHOSTUNREACH',
      }),
    ),
  );
  return sock;
}

/** A forwarder's loopback listener: where a vantage connects for one scenario address and port. */
interface ForwardTarget {
  readonly host: string;
  readonly port: number;
}

/** The running network's shared state: what forwarders write to and what close() tears down. */
interface NetworkState {
  readonly scenario: LabScenario;
  readonly upstream: LabNetworkUpstream;
  readonly now: () => number;
  readonly flowLogDir: string;
  readonly servers: net.Server[];
  readonly sockets: Set<net.Socket>;
  /** The origin of each upstream connection, by its `address:port` as the endpoint sees it. */
  readonly origins: Map<string, LabRequestOrigin>;
  readonly written: LabFlowRecord[];
  /** Forwarders by `vantage|address|port`. */
  readonly targets: Map<string, ForwardTarget>;
  readonly pathAddresses: Map<LabPath, string>;
  /** The chain of flow-log appends; the first failure is kept for idle() and close(). */
  writes: Promise<void>;
  writeError: unknown;
  /** Connections still open, and idle() callers waiting for none. */
  open: number;
  waiters: (() => void)[];
  closed: boolean;
}

/** The facts a forwarder knows of the connections it accepts. */
interface ForwardContext {
  readonly trace: LabTrace;
  readonly dstport: number;
  readonly localHost: string;
}

/** Wakes idle() callers once no connection is open and the flow records queued so far are on disk. */
function settle(state: NetworkState): void {
  if (state.open !== 0) return;
  const w = state.waiters;
  state.waiters = [];
  void state.writes.then(() => {
    for (const f of w) f();
  });
}

/** Writes a closed connection's flow records, one file per ENI. */
function recordConnection(state: NetworkState, conn: ForwardedConnection): void {
  const records = flowRecordsFor(state.scenario, conn);
  if (records.length === 0) return;
  state.written.push(...records);
  const byEni = new Map<string, string[]>();
  for (const r of records) {
    const line = formatFlowRecord(r.record, LAB_FLOW_LOG_FORMAT);
    const list = byEni.get(r.eniId);
    if (list) list.push(line);
    else byEni.set(r.eniId, [line]);
  }
  // Appends are chained so each file's lines stay in connection order.
  state.writes = state.writes
    .then(async () => {
      for (const [eni, lines] of byEni) {
        await appendFile(join(state.flowLogDir, `${eni}.log`), `${lines.join('\n')}\n`);
      }
    })
    .catch((e: unknown) => {
      state.writeError ??= e;
    });
}

/**
 * Carries one accepted connection along its traced path: dropped at once when the path drops it,
 * else piped to the S3 endpoint with its origin registered; its flow records written on close.
 */
function forwardConnection(state: NetworkState, client: net.Socket, ctx: ForwardContext): void {
  state.open++;
  state.sockets.add(client);
  const start = Math.floor(state.now() / 1000);
  const srcport = client.remotePort ?? 0;
  let up = 0;
  let down = 0;
  let done = false;
  let upstreamSocket: net.Socket | null = null;
  let originKey: string | null = null;
  const finish = () => {
    if (done) return;
    done = true;
    client.destroy();
    upstreamSocket?.destroy();
    state.sockets.delete(client);
    if (upstreamSocket) state.sockets.delete(upstreamSocket);
    // Kept a moment longer: the endpoint may still be logging the last request of the connection.
    if (originKey !== null) {
      const key = originKey;
      setImmediate(() => state.origins.delete(key));
    }
    recordConnection(state, {
      trace: ctx.trace,
      dstport: ctx.dstport,
      srcport,
      bytesUp: up,
      bytesDown: down,
      start,
      end: Math.floor(state.now() / 1000),
    });
    state.open--;
    settle(state);
  };
  // The connection ends when the client side closes: closing it earlier could drop response
  // bytes still queued for the client.
  client.on('error', finish);
  client.on('close', finish);
  if (!ctx.trace.delivered) {
    // The network drops the packets (no public address at the internet gateway, no route
    // onward, …): nothing comes back.
    client.resetAndDestroy();
    return;
  }
  client.pause();
  client.on('data', (d: Buffer) => {
    up += d.length;
  });
  const toS3 = net.connect({
    host: state.upstream.address,
    port: state.upstream.port,
    localAddress: ctx.localHost,
  });
  upstreamSocket = toS3;
  state.sockets.add(toS3);
  toS3.on('data', (d: Buffer) => {
    down += d.length;
  });
  toS3.on('error', () => client.destroy());
  toS3.on('close', () => {
    if (!client.writableEnded) client.end();
  });
  toS3.once('connect', () => {
    // Registered before any request byte is sent, so the endpoint always finds the origin.
    originKey = `${unmapped(toS3.localAddress)}:${toS3.localPort}`;
    const origin = originOf(ctx.trace);
    if (origin) state.origins.set(originKey, origin);
    client.pipe(toS3);
    toS3.pipe(client);
    client.resume();
  });
}

/** Every scenario address a vantage may connect to: S3's, the edge's, MRAP's and endpoint ENIs'. */
function reachableAddresses(scenario: LabScenario): Set<string> {
  return new Set<string>([
    ...scenario.s3.regionalAddresses,
    ...scenario.s3.globalAddresses,
    ...scenario.edge.addresses,
    ...scenario.mrap.addresses,
    ...scenario.vpcs.flatMap((v) => [
      ...v.interfaceEndpoints.flatMap((e) => e.networkInterfaces.map((n) => n.ip)),
      ...(v.globalAccessPointEndpoint?.networkInterfaces ?? []).map((n) => n.ip),
    ]),
  ]);
}

/**
 * Listens one forwarder per vantage, reachable address and port, each on its path's loopback
 * address. Systems that only answer on 127.0.0.1 (macOS without aliases) fall back to distinct
 * ports there.
 */
async function startForwarders(state: NetworkState, ports: readonly number[]): Promise<void> {
  const { scenario, pathAddresses } = state;
  // One loopback address per path, so a path is a distinct next hop.
  for (const [i, path] of LAB_PATHS.entries()) pathAddresses.set(path, `127.0.0.${FIRST_PATH_HOST + i}`);
  let fallback = false;
  const addresses = reachableAddresses(scenario);
  for (const vantage of scenario.vantages) {
    for (const dstaddr of addresses) {
      // Throws SCENARIO_UNSUPPORTED (naming the route) before anything is carried.
      const trace = traceLabPath(scenario, vantage, dstaddr);
      // Nothing at all leaves for an address the vantage has no way towards (on-prem to a VPC
      // without a private VIF): the dial fails as EHOSTUNREACH, as the host's own stack would.
      if (!trace.delivered && trace.hops.length === 0 && vantage.kind === 'onprem') continue;
      for (const dstport of ports) {
        let localHost = fallback ? '127.0.0.1' : pathAddresses.get(trace.path)!;
        const server = net.createServer((client) =>
          forwardConnection(state, client, { trace, dstport, localHost }),
        );
        state.servers.push(server);
        let port: number;
        try {
          port = await listen(server, localHost);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL' || fallback) throw e;
          fallback = true;
          for (const p of LAB_PATHS) pathAddresses.set(p, '127.0.0.1');
          localHost = '127.0.0.1';
          port = await listen(server, localHost);
        }
        state.targets.set(`${vantage.id}|${dstaddr}|${dstport}`, { host: localHost, port });
      }
    }
  }
}

/** `dns.lookup` over a vantage's DNS: scenario answers on the next tick, ENOTFOUND for none. */
function labLookup(resolve: (hostname: string) => string[]): LabLookup {
  return ((
    hostname: string,
    options: { all?: boolean; family?: number } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    const all = typeof options === 'object' && options?.all === true;
    const answers = resolve(hostname);
    process.nextTick(() => {
      if (answers.length === 0) {
        const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
        callback(err, all ? [] : '', 4);
      } else if (all)
        callback(
          null,
          answers.map((address) => ({ address, family: 4 })),
        );
      else callback(null, answers[0]!, 4);
    });
  }) as LabLookup;
}

/** One vantage's DNS and routing over the network's forwarders. */
function labVantage(state: NetworkState, v: LabScenarioVantage): LabVantage {
  const { scenario } = state;
  const resolve = (hostname: string) => resolveLabName(scenario, v, hostname);
  const connectTarget = (address: string, port: number) =>
    state.targets.get(`${v.id}|${address}|${port}`) ?? null;
  return {
    id: v.id,
    kind: v.kind,
    resolve,
    lookup: labLookup(resolve),
    route: (address) => traceLabPath(scenario, v, address),
    connectTarget,
    dial(address, port) {
      const t = connectTarget(address, port);
      if (!t || state.closed) return unreachable(address, port);
      const sock = net.connect(t.port, t.host);
      return sock;
    },
  };
}

/**
 * Starts the lab network of a scenario in front of the lab S3 endpoint. Every path (gateway
 * endpoint, interface endpoint, NAT gateway, internet gateway, on-prem private VIF, on-prem
 * internet) is a set of real TCP forwarders on its own loopback address (127.0.0.21 …), one per
 * vantage, reachable scenario address and port, piping bytes to the S3 endpoint. A forwarder tells
 * the endpoint the source AWS would show (the vantage's private address through the endpoints,
 * the NAT's Elastic IP, the vantage's public address, the on-prem egress address) and, when the
 * connection closes, writes the VPC Flow Log records AWS would write (see `flowRecordsFor`) to
 * one file per ENI. Only loopback addresses are ever listened on or connected to.
 *
 * @example
 * const s3 = await startLabS3({ buckets: [{ name: 'example-data-bucket' }] });
 * const network = await startLabNetwork(scenario, s3);
 * const vpc = network.vantage('vpc-app');
 * fetchProbe(url, { runnerId: 'vpc-app', probeId, vantageKind: 'vpc', lookup: vpc.lookup, dial: vpc.dial });
 */
export async function startLabNetwork(
  scenario: LabScenario,
  upstream: LabNetworkUpstream,
  opts: LabNetworkOptions = {},
): Promise<LabNetwork> {
  if (!isLoopback(upstream.address)) {
    throw new Error(`lab network: the S3 endpoint must listen on loopback, not ${upstream.address}`);
  }
  const ownsDir = opts.flowLogDir === undefined;
  const flowLogDir = opts.flowLogDir ?? (await mkdtemp(join(tmpdir(), 'pathguard-lab-flows-')));
  if (!ownsDir) await mkdir(flowLogDir, { recursive: true });
  const state: NetworkState = {
    scenario,
    upstream,
    now: opts.now ?? Date.now,
    flowLogDir,
    servers: [],
    sockets: new Set(),
    origins: new Map(),
    written: [],
    targets: new Map(),
    pathAddresses: new Map(),
    writes: Promise.resolve(),
    writeError: null,
    open: 0,
    waiters: [],
    closed: false,
  };
  const { servers, sockets } = state;

  try {
    await startForwarders(state, opts.ports ?? [443, 80]);
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ownsDir) await rm(flowLogDir, { recursive: true, force: true });
    throw e;
  }

  const originFor = (socket: net.Socket): LabRequestOrigin | null =>
    state.origins.get(`${unmapped(socket.remoteAddress)}:${socket.remotePort}`) ?? null;
  upstream.setOriginResolver(originFor);

  const vantages = new Map<string, LabVantage>(scenario.vantages.map((v) => [v.id, labVantage(state, v)]));

  let closing: Promise<void> | null = null;
  return {
    scenario,
    flowLogDir,
    pathAddresses: state.pathAddresses,
    vantage(id) {
      const v = vantages.get(id);
      if (!v) throw new Error(`lab network: no vantage ${id} (have ${[...vantages.keys()].join(', ')})`);
      return v;
    },
    flowRecords: () => [...state.written],
    originFor,
    remoteIpFor: (socket) => originFor(socket)?.remoteIp ?? null,
    async idle() {
      await new Promise<void>((resolve) => {
        state.waiters.push(resolve);
        settle(state);
      });
      if (state.writeError !== null) throw state.writeError;
    },
    close() {
      if (!closing) {
        state.closed = true;
        closing = (async () => {
          upstream.setOriginResolver(null);
          for (const s of sockets) s.destroy();
          await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
          await state.writes;
          if (ownsDir) await rm(flowLogDir, { recursive: true, force: true });
          if (state.writeError !== null) throw state.writeError;
        })();
      }
      return closing;
    },
  };
}
