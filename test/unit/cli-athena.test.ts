import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pathguard-athena-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const athena = { workgroup: 'pathguard', database: 'pathguard_logs', maxBytesScanned: 2_000_000_000 };
function config(evidence: unknown): string {
  const file = join(dir, `c${++n}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      region: 'eu-west-1',
      resultsBucket: 'results-bucket',
      targets: [{ bucket: 'data-bucket', region: 'eu-west-1', styles: ['regional'] }],
      vantages: [{ id: 'onprem-a', kind: 'onprem' }],
      evidence,
    }),
  );
  return file;
}

const run = (args: string[]) => runCli(['athena', 'ddl', ...args]);

describe('pathguard athena ddl', () => {
  it('prints both tables, separated by semicolons, from the config alone', async () => {
    const r = await run([
      '--config',
      config({
        flowLogs: {
          engine: 'athena',
          athena: {
            ...athena,
            table: 'vpc_flows',
            location: { bucket: 'org-flow-logs', orgId: 'o-abcdef1234', fileFormat: 'parquet', hourly: true },
          },
        },
        accessLogs: { engine: 'athena', bucket: 'access-log-bucket', prefix: 'sal/', athena },
      }),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const statements = r.stdout.split(/;\n/).filter((s) => s.trim() !== '');
    expect(statements).toHaveLength(2);
    expect(statements[0]).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `pathguard_logs`.`vpc_flows`');
    expect(statements[0]).toContain('ParquetHiveSerDe');
    expect(statements[0]).toContain(
      "'storage.location.template' = 's3://org-flow-logs/AWSLogs/o-abcdef1234/${log_account}/vpcflowlogs/${log_region}/${dt}/'",
    );
    expect(statements[1]).toContain('`pathguard_logs`.`pathguard_access_logs`');
    expect(statements[1]).toContain("LOCATION 's3://access-log-bucket/sal/'");
  });

  it('refuses a config with no athena engine, a missing flow-log location and an unsafe prefix (exit 2)', async () => {
    const none = await run(['--config', config({})]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no evidence source has engine 'athena'/);
    const noLocation = await run(['--config', config({ flowLogs: { engine: 'athena', athena } })]);
    expect(noLocation.code).toBe(2);
    expect(noLocation.stderr).toMatch(/evidence\.flowLogs\.athena\.location/);
    const quote = await run([
      '--config',
      config({ accessLogs: { engine: 'athena', bucket: 'access-log-bucket', prefix: "sal'/", athena } }),
    ]);
    expect(quote.code).toBe(2);
    expect(quote.stderr).toMatch(/location: .*holds a character/);
    expect(quote.stdout).toBe('');
    expect((await run([])).code).toBe(2);
  });
});
