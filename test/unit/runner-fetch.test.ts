import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchProbe,
  type LookupFn,
  refuseSpecialAddress,
  s3ErrorMessage,
} from '../../functions/runner/fetch.js';

const body = Buffer.alloc(64, 7);
const sha = createHash('sha256').update(body).digest('hex');
const tls = {
  key: readFileSync(new URL('../fixtures/tls/test-only-localhost.key', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/test-only-localhost.crt', import.meta.url)),
};
const SECRET = 'X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.setHeader('x-amz-request-id', 'ABCDEF0123456789');
  res.setHeader('x-amz-id-2', 'hostid/base64==');
  const path = req.url ?? '';
  if (path.startsWith('/ok')) {
    res.end(body);
  } else if (path.startsWith('/ua')) {
    res.end(req.headers['user-agent']);
  } else if (path.startsWith('/denied')) {
    res.statusCode = 403;
    res.setHeader('content-type', 'application/xml');
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>ABCDEF0123456789</RequestId></Error>',
    );
  } else if (path.startsWith('/moved')) {
    res.statusCode = 307;
    res.setHeader('location', `https://example-data-bucket.s3.eu-west-1.amazonaws.com/k?${SECRET}`);
    res.end();
  } else if (path.startsWith('/slow')) {
    setTimeout(() => res.end(body), 2_000).unref();
  } else {
    res.statusCode = 404;
    res.end('<Error><Code>NoSuchKey</Code></Error>');
  }
}

let plain: http.Server;
let secure: https.Server;
let plainPort = 0;
let securePort = 0;
beforeAll(async () => {
  plain = http.createServer(handler);
  secure = https.createServer(tls, handler);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  plainPort = (plain.address() as AddressInfo).port;
  securePort = (secure.address() as AddressInfo).port;
});
afterAll(async () => {
  plain.closeAllConnections();
  secure.closeAllConnections();
  await new Promise((r) => plain.close(r));
  await new Promise((r) => secure.close(r));
});

/** A vantage's DNS: answers the S3 name with loopback (tests never leave 127.0.0.0/8). */
const lookup: LookupFn = (host, _o, cb) => {
  if (host.endsWith('.amazonaws.com') || host === 'localhost')
    cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
};
const base = {
  runnerId: 'vpc-app',
  probeId: '01JTESTPROBE0000000000000',
  vantageKind: 'vpc' as const,
  lookup,
};
const host = 'example-data-bucket.s3.us-east-1.amazonaws.com';

describe('fetchProbe over real HTTP(S) on loopback', () => {
  it('records DNS answers, the connection, TLS, ids, and a body digest that matches the probe', async () => {
    const o = await fetchProbe(`https://${host}:${securePort}/ok?${SECRET}`, {
      ...base,
      expectedSha256: sha,
      ca: tls.cert,
    });
    expect(o.error).toBeNull();
    expect(o.dns).toEqual({ answers: [{ address: '127.0.0.1', family: 4 }] });
    expect(o).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: securePort,
      httpStatus: 200,
      requestId: 'ABCDEF0123456789',
    });
    expect(o.hostId).toBe('hostid/base64==');
    expect(o.tls?.version).toMatch(/^TLSv1\.[23]$/);
    expect(o.tls?.servername).toBe(host);
    expect(o.bodyBytes).toBe(64);
    expect(o.bodySha256).toBe(sha);
    expect(o.bodyMatches).toBe(true);
    expect(o.localAddress).toBe('127.0.0.1');
    expect(o.timingsMs.total).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(o)).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('sends the pathguard User-Agent with runner and probe ids', async () => {
    const o = await fetchProbe(`http://${host}:${plainPort}/ua`, { ...base });
    expect(o.httpStatus).toBe(200);
    expect(o.bodyBytes).toBe(Buffer.byteLength(`pathguard/0.0.0-dev runner/vpc-app probe/${base.probeId}`));
  });

  it('reads the S3 error code of a 403 from the XML body', async () => {
    const o = await fetchProbe(`http://${host}:${plainPort}/denied`, { ...base, expectedSha256: sha });
    expect(o).toMatchObject({ httpStatus: 403, s3ErrorCode: 'AccessDenied', error: { code: 'HTTP_ERROR' } });
    expect(o.s3ErrorMessage).toBe('Access Denied');
  });

  it('reads the S3 error message with entities decoded and credentials redacted', () => {
    expect(
      s3ErrorMessage(
        '<Error><Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::b/k&quot; with an explicit deny in a VPC endpoint policy</Message></Error>',
      ),
    ).toBe(
      'User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a VPC endpoint policy',
    );
    expect(s3ErrorMessage('<Error><Code>AccessDenied</Code></Error>')).toBeNull();
    const echoed = s3ErrorMessage(
      '<Error><Message>bad https://b.s3.amazonaws.com/k?X-Amz-Signature=0123456789abcdef0123456789abcdef</Message></Error>',
    );
    expect(echoed).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('does not follow a 307 and keeps only the Location host', async () => {
    const o = await fetchProbe(`http://${host}:${plainPort}/moved`, base);
    expect(o.httpStatus).toBe(307);
    expect(o.redirectHost).toBe('example-data-bucket.s3.eu-west-1.amazonaws.com');
    expect(JSON.stringify(o)).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('flags a body that is not the probe object', async () => {
    const o = await fetchProbe(`http://${host}:${plainPort}/ok`, { ...base, expectedSha256: '0'.repeat(64) });
    expect(o.error?.code).toBe('SHA_MISMATCH');
    expect(o.bodyMatches).toBe(false);
  });

  it('times out a slow response', async () => {
    const o = await fetchProbe(`http://${host}:${plainPort}/slow`, { ...base, timeoutMs: 200 });
    expect(o.error?.code).toBe('TIMEOUT');
  });

  it('codes refused connections, DNS failures and TLS failures', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect((await fetchProbe(`http://${host}:${deadPort}/ok`, base)).error?.code).toBe('CONNECTION_REFUSED');
    const dns = await fetchProbe('http://nowhere.invalid/ok', base);
    expect(dns.error?.code).toBe('DNS_FAILURE');
    expect(dns.dns?.error).toBe('ENOTFOUND');
    // No CA given: the self-signed certificate must be refused.
    expect((await fetchProbe(`https://${host}:${securePort}/ok`, base)).error?.code).toBe('TLS_ERROR');
  });

  it('refuses a host outside allowedHosts before any DNS lookup', async () => {
    let lookups = 0;
    const counting: LookupFn = (h, o, cb) => {
      lookups++;
      lookup(h, o, cb);
    };
    const o = await fetchProbe(`http://attacker.example:${plainPort}/ok?${SECRET}`, {
      ...base,
      lookup: counting,
      allowedHosts: [host, `${host}:${plainPort}`],
    });
    expect(o.error?.code).toBe('HOST_NOT_ALLOWED');
    expect(o.dns).toBeNull();
    expect(lookups).toBe(0);
    expect(JSON.stringify(o)).not.toContain('0123456789abcdef0123456789abcdef');
    // The listed host with its port passes, compared case-insensitively.
    const ok = await fetchProbe(`http://${host.toUpperCase()}:${plainPort}/ok`, {
      ...base,
      allowedHosts: [`${host}:${plainPort}`],
      expectedSha256: sha,
    });
    expect(ok.error).toBeNull();
    // Without the port in the list, a non-default port is another host.
    const port = await fetchProbe(`http://${host}:${plainPort}/ok`, { ...base, allowedHosts: [host] });
    expect(port.error?.code).toBe('HOST_NOT_ALLOWED');
  });

  it('codes any failure of a custom resolver as DNS_FAILURE and records its code', async () => {
    const servfail: LookupFn = (_h, _o, cb) =>
      cb(Object.assign(new Error('servfail'), { code: 'ESERVFAIL' }), []);
    const o = await fetchProbe(`http://${host}:${plainPort}/ok`, { ...base, lookup: servfail });
    expect(o.error?.code).toBe('DNS_FAILURE');
    expect(o.dns).toEqual({ answers: [], error: 'ESERVFAIL' });
    expect(o.remoteAddress).toBeNull();
  });

  it('sends no SNI for an IP literal and accepts an unverified peer only when told to', async () => {
    const ip = await fetchProbe(`https://127.0.0.1:${securePort}/ok`, {
      ...base,
      ca: tls.cert,
      expectedSha256: sha,
    });
    expect(ip.error).toBeNull();
    expect(ip.tls?.servername).toBeNull();
    expect(ip.dns).toBeNull();
    const unverified = await fetchProbe(`https://${host}:${securePort}/ok`, {
      ...base,
      rejectUnauthorized: false,
      expectedSha256: sha,
    });
    expect(unverified.error).toBeNull();
    expect(unverified.tls?.servername).toBe(host);
  });

  it('dials a mapped address while recording the vantage DNS answer as the remote', async () => {
    const mapped: LookupFn = (_h, _o, cb) => cb(null, [{ address: '52.216.10.20', family: 4 }]);
    const o = await fetchProbe(`https://${host}/ok`, {
      ...base,
      lookup: mapped,
      dial: (_addr, _port) => net.connect(plainPort, '127.0.0.1'),
      expectedSha256: sha,
    });
    expect(o.error).toBeNull();
    expect(o).toMatchObject({ remoteAddress: '52.216.10.20', remotePort: 443, bodyMatches: true });
  });
});

/** A loopback server that counts connections and requests, on a given address and port. */
async function countingServer(address: string, port = 0) {
  const counts = { connections: 0, requests: 0, closed: 0 };
  const server = http.createServer((req, res) => {
    counts.requests++;
    if ((req.url ?? '').startsWith('/trickle')) {
      res.writeHead(200, { 'content-length': '1000' });
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.end(body);
  });
  server.on('connection', (sock) => {
    counts.connections++;
    sock.on('close', () => counts.closed++);
  });
  await new Promise<void>((r) => server.listen(port, address, r));
  return {
    counts,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fetchProbe phases under one deadline', () => {
  it('sends nothing when the DNS answer arrives after the timeout (system connect and lab dialer)', async () => {
    const srv = await countingServer('127.0.0.1');
    try {
      let answered = 0;
      const lateLookup: LookupFn = (_h, _o, cb) => {
        setTimeout(() => {
          answered++;
          cb(null, [{ address: '127.0.0.1', family: 4 }]);
        }, 250);
      };
      let dials = 0;
      // The lab dialer first: the path that used to dial and send the GET after TIMEOUT.
      for (const dial of [
        (_a: string, _p: number) => {
          dials++;
          return net.connect(srv.port, '127.0.0.1');
        },
        undefined,
      ]) {
        const o = await fetchProbe(`http://${host}:${srv.port}/ok?${SECRET}`, {
          ...base,
          lookup: lateLookup,
          timeoutMs: 100,
          ...(dial ? { dial } : {}),
        });
        expect(o.error).toEqual({ code: 'TIMEOUT', message: 'no complete response within 100 ms' });
        const returned = JSON.stringify(o);
        await sleep(400); // the answer arrives meanwhile
        expect(srv.counts).toMatchObject({ connections: 0, requests: 0 });
        expect(JSON.stringify(o)).toBe(returned); // the returned observation is not touched
        expect(o.dns).toBeNull();
        expect(o.remoteAddress).toBeNull();
      }
      expect(answered).toBe(2);
      expect(dials).toBe(0);
      expect(srv.counts).toMatchObject({ connections: 0, requests: 0 });
    } finally {
      await srv.close();
    }
  });

  it('connects to the address it resolved and checked: a second resolution cannot change the target', async () => {
    const a = await countingServer('127.0.0.1');
    const b = await countingServer('127.0.0.2', a.port);
    try {
      for (const [first, then, hit, miss] of [
        ['127.0.0.1', '127.0.0.2', a, b],
        ['127.0.0.2', '127.0.0.1', b, a],
      ] as const) {
        let lookups = 0;
        // A rebinding resolver: a checked answer first, another address on every later query.
        const rebinding: LookupFn = (_h, _o, cb) => {
          lookups++;
          cb(null, [{ address: lookups === 1 ? first : then, family: 4 }]);
        };
        const before = { hit: hit.counts.requests, miss: miss.counts.requests };
        const o = await fetchProbe(`http://${host}:${a.port}/ok`, {
          ...base,
          lookup: rebinding,
          checkAddress: (addr) => (addr === first ? null : `${addr} not checked`),
          expectedSha256: sha,
        });
        expect(o.error).toBeNull();
        expect(lookups).toBe(1);
        expect(o.remoteAddress).toBe(first);
        expect(hit.counts.requests - before.hit).toBe(1);
        expect(miss.counts.requests - before.miss).toBe(0);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a DNS answer the address policy rejects, before connecting', async () => {
    const srv = await countingServer('127.0.0.1');
    try {
      const o = await fetchProbe(`http://${host}:${srv.port}/ok?${SECRET}`, {
        ...base,
        checkAddress: refuseSpecialAddress,
      });
      expect(o.error?.code).toBe('ADDRESS_NOT_ALLOWED');
      expect(o.error?.message).toMatch(/127\.0\.0\.1 is a loopback/);
      expect(o.dns).toEqual({ answers: [{ address: '127.0.0.1', family: 4 }] });
      expect(o.remoteAddress).toBeNull();
      expect(srv.counts.connections).toBe(0);
      expect(JSON.stringify(o)).not.toContain('0123456789abcdef0123456789abcdef');
    } finally {
      await srv.close();
    }
  });

  it('ends a body that trickles past the deadline and closes the connection', async () => {
    const srv = await countingServer('127.0.0.1');
    try {
      const t0 = performance.now();
      const o = await fetchProbe(`http://${host}:${srv.port}/trickle`, { ...base, timeoutMs: 300 });
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(o.error?.code).toBe('TIMEOUT');
      expect(o.httpStatus).toBe(200); // the head arrived; the body never completed
      await sleep(50);
      expect(srv.counts.closed).toBe(srv.counts.connections);
    } finally {
      await srv.close();
    }
  });
});

describe('refuseSpecialAddress', () => {
  it('refuses loopback, link-local (metadata), unspecified and multicast, in IPv4 and IPv6', () => {
    for (const a of [
      '127.0.0.1',
      '127.9.9.9',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.251',
      '::1',
      '::',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      'fd00:ec2::254x',
    ]) {
      expect(refuseSpecialAddress(a), a).not.toBeNull();
    }
    for (const a of [
      '52.216.10.20',
      '10.0.1.7',
      '192.168.0.1',
      '100.64.0.1',
      '2600:1f18::1',
      'fd00:ec2::254',
    ]) {
      expect(refuseSpecialAddress(a), a).toBeNull();
    }
  });
});
