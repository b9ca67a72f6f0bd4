import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEvidenceReport, type EvidenceReportInput } from '../../shared/reports/evidence-report.js';
import { anchorId, html, raw } from '../../shared/reports/html.js';
import { probePath } from '../../shared/reports/path-diagram.js';
import { evidenceReportHtml } from '../../shared/reports/render-report.js';
import { htmlText } from '../../shared/text/escape.js';
import { makeBundle, reportBundle } from './report-fixtures.js';

const sha256Base64 = (t: string) => createHash('sha256').update(t, 'utf8').digest('base64');

function input(over: Partial<EvidenceReportInput> = {}): EvidenceReportInput {
  return {
    generatedAt: '2026-12-03T13:00:00.000Z',
    since: null,
    until: null,
    source: '/tmp/lab',
    bundles: [reportBundle()],
    environment: null,
    environmentDigest: null,
    drift: [],
    realTraffic: [],
    notes: [],
    ...over,
  };
}

const render = (i: EvidenceReportInput) => evidenceReportHtml(i, { sha256Base64 });

/** Tags the renderer writes; anything else in a report came from input and escaped badly. */
const OUR_TAGS = new Set(
  'html head meta title style body header h1 h2 h3 p nav a main section dl dt dd ul li b br code div table tr th td svg rect text g small span figure figcaption use defs image pre label select option script'.split(
    ' ',
  ),
);
/** Tags of a path drawing (an SVG image in a `data:` URL). */
const DRAWING_TAGS = new Set('svg style defs marker path pattern rect line g text'.split(' '));

/** Every tag of a document (text holds no `<` after escaping, so tags are found by their `<`). */
function tags(doc: string): { name: string; attrs: string }[] {
  const body = doc
    .replace(/<style>[\s\S]*?<\/style>/, '<style></style>')
    .replace(/<script>[\s\S]*?<\/script>/, '<script></script>');
  return [...body.matchAll(/<\/?([A-Za-z!][A-Za-z0-9-]*)([^>]*)>/g)].map((m) => ({
    name: m[1]!,
    attrs: m[2]!,
  }));
}

/** Attribute names and values of a tag (escaped values hold no `"`, so a quoted value ends at the next one). */
function attributes(attrs: string): [string, string][] {
  return [...attrs.matchAll(/\s([^\s="/>]+)(?:="([^"]*)")?/g)].map((m) => [m[1]!.toLowerCase(), m[2] ?? '']);
}

const DRAWING_URL = 'data:image/svg+xml,';

/**
 * Every tag is ours, no attribute runs or fetches anything, every link stays in the page; the one
 * other URL is a path drawing's `data:` SVG image, itself checked the same way (and it holds no
 * link at all).
 */
function assertInert(doc: string, allowed = OUR_TAGS, drawing = false): void {
  expect(doc.match(/<script\b/gi)?.length ?? 0).toBe(drawing ? 0 : 1);
  for (const t of tags(doc)) {
    if (t.name === '!DOCTYPE') continue;
    expect(allowed.has(t.name.toLowerCase()), `tag <${t.name}>`).toBe(true);
    for (const [name, value] of attributes(t.attrs)) {
      expect(name.startsWith('on'), `event handler in <${t.name}${t.attrs}>`).toBe(false);
      expect(
        ['src', 'srcset', 'action', 'formaction', 'style', 'xlink:href'],
        `<${t.name}${t.attrs}>`,
      ).not.toContain(name);
      if (name !== 'href') continue;
      if (!drawing && t.name === 'image' && value.startsWith(DRAWING_URL)) {
        expect(value, 'a drawing URL is percent-encoded').toMatch(
          /^data:image\/svg\+xml,[A-Za-z0-9\-_.!~*()%,/:;= ]*$/,
        );
        assertInert(decodeURIComponent(value.slice(DRAWING_URL.length)), DRAWING_TAGS, true);
      } else expect(!drawing && value.startsWith('#'), `href="${value}"`).toBe(true);
    }
  }
}

/** The drawings of a report, decoded from their `data:` URLs. */
function drawings(doc: string): string[] {
  return [...doc.matchAll(/<image [^>]*href="data:image\/svg\+xml,([^"]*)"/g)].map((m) =>
    decodeURIComponent(m[1]!),
  );
}

const decodeEntities = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('htmlText and the html template', () => {
  it('escapes the five HTML characters after redacting, and nothing is markup unless made by html``', () => {
    expect(htmlText(`"><svg onload=alert(1)>&'`)).toBe('&quot;&gt;&lt;svg onload=alert(1)&gt;&amp;&#39;');
    expect(htmlText('https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123456789')).toContain(
      'X-Amz-Signature=REDACTED',
    );
    expect(html`<td title="${'a"b'}">${'<i>'}${raw('<b>x</b>')}${[1, '<', null, false]}</td>`.value).toBe(
      '<td title="a&quot;b">&lt;i&gt;<b>x</b>1&lt;</td>',
    );
    expect(anchorId('p', 'javascript:alert(1)//"')).toBe('p-javascript_alert_1____');
  });
});

describe('evidence report HTML', () => {
  it('declares a CSP that forbids every fetch and allows only its own style and script, by hash', () => {
    const doc = render(input());
    const csp = decodeEntities(
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(doc)?.[1] ?? '',
    );
    const style = /<style>([\s\S]*?)<\/style>/.exec(doc)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(doc)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'sha256-${sha256Base64(style)}'`);
    expect(csp).toContain(`script-src 'sha256-${sha256Base64(script)}'`);
    expect(csp).toContain('img-src data:');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    assertInert(doc);
  });

  it('keeps planted <script>, "><svg onload=…> and javascript: in keys, user agents, hosts and vantages as text', () => {
    const planted = [
      '<script>window.__pwned=1</script>',
      '"><svg onload=window.__pwned=1>',
      'javascript:window.__pwned=1',
    ];
    const bundles = planted.map((p, i) =>
      reportBundle({
        probeId: `01M8XXX0RF7BXNYERTEKQDE5${i}R`,
        key: `pathguard/probes/${p}.bin`,
        userAgent: p,
        hostHeader: `${p}.example`,
        vantage: `v${p}`,
        style: 'global',
      }),
    );
    const doc = render(
      input({
        bundles,
        realTraffic: [
          {
            presignedRequests: 3,
            byPath: { public: 3 },
            nonPrivateRequests: 3,
            nonPrivate: planted.map((p) => ({
              remoteIp: '203.0.113.10',
              hostHeader: p,
              userAgent: p,
              path: 'public',
              reason: p,
              count: 1,
              firstSeen: null,
              lastSeen: null,
              buckets: ['b'],
              sampleKeys: [p],
            })),
            droppedGroupRequests: 0,
            window: { from: null, to: null },
          },
        ],
        drift: [
          { code: 'X', severity: 'warning', message: planted[1]!, resource: planted[2]!, fix: planted[0]! },
        ],
        notes: [planted[0]!],
      }),
    );
    assertInert(doc);
    expect(doc).toContain('<b>3 not through a VPC endpoint</b>. By path: public 3.</p>');
    for (const p of planted) expect(doc).toContain(htmlText(p));
    expect(doc).not.toContain('<svg onload');
  });

  it('redacts a presigned secret planted in a user agent and a key', () => {
    const secret = 'X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const doc = render(
      input({ bundles: [reportBundle({ userAgent: `curl ${secret}`, key: `k?${secret}` })] }),
    );
    expect(doc).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('is inert for any string placed in the fields logs control (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom(
          '<',
          '>',
          '"',
          "'",
          '&',
          '<script>',
          'javascript:',
          ' onload=',
          '</svg>',
          '<!--',
          ']]>',
        ),
        (s, t) => {
          const v = `${s}${t}${s}`;
          const doc = render(
            input({
              bundles: [
                reportBundle({ key: v, userAgent: v, hostHeader: v, vantage: v, bucket: v, style: v }),
              ],
            }),
          );
          assertInert(doc);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('draws one matrix cell per vantage and target, from the latest probe, and takes a per-probe method as its own column', () => {
    const bundles = [
      reportBundle({
        probeId: 'A1',
        createdAt: '2026-12-03T10:00:00.000Z',
        verdict: 'private',
        style: 'regional',
      }),
      reportBundle({
        probeId: 'A2',
        createdAt: '2026-12-03T11:00:00.000Z',
        verdict: 'left-path',
        style: 'regional',
      }),
      reportBundle({
        probeId: 'B1',
        createdAt: '2026-12-03T11:00:00.000Z',
        verdict: 'private',
        style: 'regional',
        method: 'PUT',
      }),
      reportBundle({
        probeId: 'C1',
        kind: 'onprem',
        createdAt: '2026-12-03T11:00:00.000Z',
        verdict: 'no-evidence',
        style: 'regional',
      }),
    ];
    const m = buildEvidenceReport(input({ bundles }));
    expect(m.columns.map((c) => `${c.style}/${c.method ?? ''}`)).toEqual(['regional/', 'regional/PUT']);
    expect(m.matrix.size).toBe(3);
    const doc = render(input({ bundles }));
    const cells = [
      ...doc.matchAll(
        /<td class="cell v-([a-z-]+)" data-vantage="([^"]+)" data-bucket="[^"]+" data-style="([^"]+)" data-method="([^"]*)"/g,
      ),
    ].map((x) => `${x[2]} ${x[3]} ${x[4]} ${x[1]}`);
    expect(cells.sort()).toEqual([
      'onprem-dc1 regional  no-evidence',
      'vpc-app regional  left-path',
      'vpc-app regional PUT private',
    ]);
    expect(m.counts).toEqual({ 'left-path': 1, 'no-evidence': 1, pending: 0, blocked: 0, private: 2 });
    // Without a config, vantages in name order.
    expect(m.privateShare).toEqual([
      { vantage: 'onprem-dc1', private: 0, total: 1 },
      { vantage: 'vpc-app', private: 2, total: 3 },
    ]);
    expect(m.blindSpots.silentSources).toEqual([{ source: 's3-access', probes: 1 }]);
    // One path diagram per probe, each drawing (through its shared shape) the hop its verdict names.
    const hops = new Map([...doc.matchAll(/<g id="(s\d+)" data-hop="([^"]+)"/g)].map((x) => [x[1], x[2]]));
    const figures = [
      ...doc.matchAll(/<figure id="p-([^"]+)" data-verdict="([^"]+)"[^>]*>[\s\S]*?<use href="#(s\d+)"/g),
    ].map((f) => [f[1], f[2], hops.get(f[3]!)]);
    expect(figures.map((f) => f.join(' ')).sort()).toEqual([
      'A1 private gateway-endpoint',
      'A2 left-path nat-gateway',
      'B1 private gateway-endpoint',
      'C1 no-evidence unknown',
    ]);
    // The left-path drawing names its NAT gateway and Elastic IP, hatched, with the fix; the
    // shape's title says the same in words.
    const nat = [...hops.entries()].find(([, h]) => h === 'nat-gateway')![0]!;
    const shape = new RegExp(
      `<g id="${nat}"[^>]*><title>([^<]*)</title><image [^>]*href="data:image/svg\\+xml,([^"]*)"`,
    ).exec(doc)!;
    const drawing = decodeURIComponent(shape[2]!);
    expect(drawing).toMatch(
      /<g class="n hop left" data-hop="nat-gateway">.*NAT gateway.*EIP 198\.51\.100\.7/,
    );
    expect(drawing).toContain('Fix: ');
    expect(shape[1]).toContain('NAT gateway nat-0f6f6f6f6f6f6f6f6 EIP 198.51.100.7');
    expect(drawings(doc)).toHaveLength(hops.size);
  });

  it('names the method of upload probes in the violation list, as the matrix does', () => {
    const bundles = [
      reportBundle({
        probeId: 'G1',
        createdAt: '2026-12-03T11:00:00.000Z',
        verdict: 'left-path',
        style: 'regional',
      }),
      reportBundle({
        probeId: 'P1',
        createdAt: '2026-12-03T11:00:00.000Z',
        verdict: 'left-path',
        style: 'regional',
        method: 'PUT',
      }),
    ];
    const doc = render(input({ bundles }));
    const violations = /<div class="alarm[^"]*" id="violations">([\s\S]*?)<\/div>/.exec(doc)![1]!;
    const links = [...violations.matchAll(/<a href="#p-([^"]+)">([^<]*)<\/a>/g)].map(
      (x) => `${x[1]}: ${x[2]}`,
    );
    expect(links.sort()).toEqual([
      expect.stringMatching(/^G1: vpc-app → \S+ regional$/),
      expect.stringMatching(/^P1: vpc-app → \S+ regional PUT$/),
    ]);
  });

  it('past three records, draws the deciding access-log line and a record of each source, and counts the rest', () => {
    const rb = reportBundle({ probeId: 'M1', verdict: 'left-path', requestId: 'DECIDING0REQUEST' });
    const flow = rb.bundle.evidence.find((e) => e.source === 'flow')!;
    // Eight more flow records ahead of the access-log line that decided the verdict.
    rb.bundle.evidence = [
      ...Array.from({ length: 8 }, (_, i) => ({
        ...flow,
        dedupKey: `flow:${i + 2}`,
        record: { ...(flow.record as object), srcport: 50_000 + i } as never,
      })),
      ...rb.bundle.evidence,
    ];
    const doc = render(input({ bundles: [rb] }));
    const [drawing] = drawings(doc);
    expect(drawing).toContain('★ access-log line at S3: ACCESS_NAT_GATEWAY_IP → nat-gateway');
    expect(drawing!.match(/flow record at route/g)).toHaveLength(2);
    expect(drawing).toContain('+7 more record(s) in the bundle');
    expect(drawing).not.toContain('counted but not kept');
    // A capped bundle: the records it counted but did not keep are said, not dropped silently.
    rb.bundle.evidenceOmitted = { count: 152, bySource: { flow: 152 } };
    const [capped] = drawings(render(input({ bundles: [rb] })));
    expect(capped).toContain('+7 more record(s) in the bundle; 152 more matched, counted but not kept');
    const figure = /<figure id="p-M1"[\s\S]*?<\/figure>/.exec(doc)![0];
    expect(figure).toContain('>DECIDING0REQUEST</text>');
    expect(figure.match(/<text>/g)).toHaveLength(3);
    // The DNS answer is the probe's own (S3 answers from a rotating pool): in the figure, not in
    // the drawing its path shares with other probes.
    expect(figure).toContain('<text x="213" y="44">→ 13.224.10.20</text>');
    expect(drawing).not.toContain('13.224.10.20');
    const other = reportBundle({ probeId: 'M2', verdict: 'left-path' });
    other.bundle.observations[0]!.dns = { answers: [{ address: '52.216.9.9', family: 4 }] } as never;
    const two = render(input({ bundles: [reportBundle({ probeId: 'M3', verdict: 'left-path' }), other] }));
    expect(drawings(two)).toHaveLength(1);
    expect(two).toContain('>→ 52.216.9.9</text>');
  });

  it('keeps only probes created in --since/--until and bins the timeline by the worst verdict', () => {
    const bundles = [
      reportBundle({ probeId: 'A1', createdAt: '2026-12-03T10:00:00.000Z', verdict: 'private' }),
      reportBundle({ probeId: 'A2', createdAt: '2026-12-03T10:00:30.000Z', verdict: 'left-path' }),
      reportBundle({ probeId: 'A3', createdAt: '2026-12-03T12:00:00.000Z', verdict: 'private' }),
      reportBundle({ probeId: 'A4', createdAt: '2026-12-04T12:00:00.000Z', verdict: 'left-path' }),
    ];
    const m = buildEvidenceReport(
      input({ bundles, since: '2026-12-03T00:00:00.000Z', until: '2026-12-03T23:59:59.999Z' }),
    );
    expect(m.bundles.map((b) => b.bundle.probe.probeId)).toEqual(['A1', 'A2', 'A3']);
    const bins = m.timeline.rows[0]!.bins;
    expect(bins.length).toBeLessThanOrEqual(48);
    const cell = Math.floor((Date.parse('2026-12-03T10:00:00Z') - m.timeline.from) / m.timeline.binMs);
    expect(bins[cell]).toEqual({ private: 1, 'left-path': 1 });
    expect(bins.reduce((n, b) => n + Object.values(b).reduce((a, x) => a + (x ?? 0), 0), 0)).toBe(3);
  });

  it('shows blind spots beside violations, with the same weight', () => {
    const doc = render(
      input({
        bundles: [reportBundle({ verdict: 'no-evidence', probeId: 'N1' }), reportBundle({ probeId: 'L1' })],
      }),
    );
    expect(doc).toMatch(/<div class="alarm" id="violations"><h3>Violations: 1 left-path/);
    expect(doc).toMatch(/<div class="alarm" id="blind-spots"><h3>Blind spots: 1 no-evidence/);
    expect(doc).toContain('Silent sources: s3-access (1 probe(s))');
  });

  it('lists every bundle with its digest in the appendix', () => {
    const doc = render(
      input({ bundles: [reportBundle({ probeId: 'P1' }), reportBundle({ probeId: 'P2' })] }),
    );
    const appendix = doc.slice(doc.indexOf('<section id="appendix">'));
    expect(appendix).toContain(
      `<h3 class="mono">evidence/</h3><pre class="sums">${'a'.repeat(64)}  P1.json\n${'a'.repeat(64)}  P2.json\n</pre>`,
    );
    // A name with a backslash or a line break is written as GNU sha256sum writes it.
    const odd = render(
      input({ bundles: [{ ...reportBundle({ probeId: 'P3' }), key: 'evidence/a\\b\nc.json' }] }),
    );
    expect(odd).toContain(`<pre class="sums">\\${'a'.repeat(64)}  a\\\\b\\nc.json\n</pre>`);
  });
});

describe('probe path', () => {
  it('draws a NAT gateway hop with its Elastic IP, the route from the facts, the records where they were written, and the fix', () => {
    const p = probePath(makeBundle(), null);
    expect(p.hop).toBe('nat-gateway');
    expect(p.left).toBe(true);
    expect(p.nodes[3]).toEqual({
      role: 'hop',
      title: 'NAT gateway',
      lines: ['nat-0f6f6f6f6f6f6f6f6', 'EIP 198.51.100.7'],
    });
    expect(p.nodes[2].lines).toEqual(['rtb-0c3c3c3c3c3c3c3c3', '0.0.0.0/0 → nat-0f6f6f6f6f6f6f6f6']);
    expect(p.rule).toBe('ACCESS_NAT_GATEWAY_IP');
    expect(p.s3Notes.map((n) => [n.label, n.deciding, n.id])).toEqual([
      ['access-log line', true, '812638D4847CB643'],
    ]);
    expect(p.routeNotes.map((n) => n.id)).toEqual(['eni-0a7a7a7a7a7a7a7a7 10.0.1.77:40166→13.224.10.20:443']);
    expect(p.fix[0]).toMatch(/Transfer Acceleration/);
  });

  it('draws an on-prem probe through the interface endpoint over DX / VPN, and a blind spot without a hop', () => {
    const p = probePath(
      makeBundle({ kind: 'onprem', verdict: 'private', path: 'interface-endpoint', remoteIp: '10.0.1.200' }),
      null,
    );
    expect(p.nodes[3]).toEqual({
      role: 'hop',
      title: 'DX / VPN → interface endpoint',
      lines: ['10.0.1.200', 'vpce-0a1b2c3d4e5f67890'],
    });
    expect(p.left).toBe(false);
    expect(p.fix).toEqual([]);
    const blind = probePath(makeBundle({ verdict: 'no-evidence' }), null);
    expect(blind.hop).toBe('unknown');
    expect(blind.nodes[3].title).toBe('hop not proven');
    expect(blind.fix.join(' ')).toMatch(/server access logs/);
  });
});
