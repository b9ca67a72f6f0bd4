import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, aws_kms as kms, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { functionDefaults, pathGuardFunction } from '../../infra/constructs/pathguard-function.js';

const root = new URL('../../', import.meta.url).pathname;
const flags = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context;
const outdir = mkdtempSync(join(tmpdir(), 'pg-cdk-asset-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The staged asset folder of the one Lambda function in `stack` (its code's S3 key names it). */
function assetOf(stack: Stack): string {
  const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const [fn] = Object.values(fns) as { Properties: { Code: { S3Key: string } } }[];
  return join(outdir, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
}

describe("the analyze function's asset", () => {
  // Bundled for real (esbuild, locally), unlike the other infra tests: one function, one stack.
  it('ships the flow worker beside the handler, and the probe function does not', () => {
    // Prepare
    const app = new App({ outdir, context: flags });
    const stacks = ['analyze', 'probe'] as const;
    const built = stacks.map((handler) => {
      const stack = new Stack(app, `Asset-${handler}`, {
        env: { account: '123456789012', region: 'us-east-1' },
      });
      const defaults = functionDefaults('{}', 30, new kms.Key(stack, 'Key'));
      pathGuardFunction(stack, 'Fn', handler, defaults, {});
      return stack;
    });
    // Act
    app.synth();
    // Assess
    const [analyze, probe] = built.map(assetOf);
    expect(existsSync(join(analyze!, 'index.mjs'))).toBe(true);
    const worker = readFileSync(join(analyze!, 'flow-worker.mjs'), 'utf8');
    expect(worker).toContain('parentPort');
    expect(worker).not.toMatch(/["']@aws-sdk\//);
    expect(readFileSync(join(analyze!, 'index.mjs'), 'utf8')).toContain(
      '"./flow-worker.mjs",import.meta.url',
    );
    expect(existsSync(join(probe!, 'index.mjs'))).toBe(true);
    expect(existsSync(join(probe!, 'flow-worker.mjs'))).toBe(false);
  }, 180_000);
});
