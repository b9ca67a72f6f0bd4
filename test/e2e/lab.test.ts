import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labJson } from '../../functions/cli/commands/lab.js';
import { runLab } from '../../functions/lab/run-lab.js';
import { loadScenario } from '../../functions/lab/scenario.js';

const scenario = (name: string) =>
  loadScenario(new URL(`../../functions/lab/scenarios/${name}.json`, import.meta.url).pathname);
const matrix = (r: Awaited<ReturnType<typeof runLab>>) =>
  Object.fromEntries(labJson(r).verdicts.map((v) => [`${v.vantage} ${v.style}`, `${v.verdict} ${v.path}`]));

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? allFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

describe('the lab, end to end', () => {
  it('reaches the expected verdicts for the default scenario, from the real code reading AWS-format logs', async () => {
    const r = await runLab(await scenario('default'));
    expect(matrix(r)).toEqual({
      'vpc-app regional': 'private gateway-endpoint',
      'vpc-app global': 'private gateway-endpoint',
      'vpc-app interface-endpoint': 'private interface-endpoint',
      'vpc-app accelerate': 'left-path nat-gateway',
      'onprem-dc1 regional': 'left-path public',
      'onprem-dc1 global': 'left-path public',
      'onprem-dc1 interface-endpoint': 'private interface-endpoint',
      'onprem-dc1 accelerate': 'left-path public',
    });
    const global = labJson(r).verdicts.find((v) => v.vantage === 'vpc-app' && v.style === 'global');
    expect(global?.findings).toContain('LEGACY_GLOBAL_ENDPOINT');
    expect(labJson(r).alerts.every((a) => a.severity === 'critical')).toBe(true);
    expect(labJson(r).alerts).toHaveLength(4);
    // The logs carry the scenario's addresses, never loopback ones.
    const flows = readFileSync(r.files.flowLog, 'utf8');
    expect(flows.split('\n')[0]).toMatch(/^version account-id interface-id srcaddr/);
    // Booleans, not the texts: a failing assertion must not print log lines that hold signatures.
    expect(flows.includes(' 7\n')).toBe(true);
    expect(flows.includes('127.0.0.')).toBe(false);
    expect(readFileSync(r.files.accessLog, 'utf8').includes('127.0.0.')).toBe(false);

    // Presigned URLs are credentials: nothing the lab outputs (report data, outbox, bundles) holds a secret.
    const outputs = [
      JSON.stringify(labJson(r)),
      ...allFiles(r.files.outbox).map((f) => readFileSync(f, 'utf8')),
      ...allFiles(r.files.bundles).map((f) => readFileSync(f, 'utf8')),
    ].join('\n');
    expect(allFiles(r.files.bundles).length).toBe(8);
    expect(/X-Amz-Signature=[0-9a-f]{64}/.test(outputs)).toBe(false);
    expect(outputs.includes('AKIAPATHGUARDLAB0001')).toBe(false);
    expect(/X-Amz-Security-Token=[^&\s"]{20,}/.test(outputs)).toBe(false);
  });

  it('turns VPC probes left-path after a more specific NAT route, and on-prem regional private with an inbound resolver', async () => {
    const r = await runLab(await scenario('nat-override'));
    expect(matrix(r)).toEqual({
      'vpc-app regional': 'left-path nat-gateway',
      'vpc-app global': 'left-path nat-gateway',
      'vpc-app interface-endpoint': 'private interface-endpoint',
      'vpc-app accelerate': 'left-path nat-gateway',
      'onprem-dc1 regional': 'private interface-endpoint',
      'onprem-dc1 global': 'left-path public',
      'onprem-dc1 interface-endpoint': 'private interface-endpoint',
      'onprem-dc1 accelerate': 'left-path public',
    });
    expect(r.alerts.some((a) => a.subject.includes('MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW'))).toBe(true);
  });

  it('runs twice in a row and leaves no listener behind', async () => {
    const first = await runLab(await scenario('default'));
    const second = await runLab(await scenario('default'));
    expect(matrix(second)).toEqual(matrix(first));
    // Handles of servers and sockets still open would keep the event loop alive: none are left.
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })
      ._getActiveHandles()
      .filter((h) => h instanceof net.Server && h.listening);
    expect(handles).toEqual([]);
  });
});
