import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createAwsClient } from '../../functions/aws/clients.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FACTORY = join('functions', 'aws', 'clients.ts');

interface HandlerConfig {
  connectionTimeout: number;
  requestTimeout: number;
  socketTimeout: number;
  throwOnRequestTimeout: boolean;
}

async function handlerConfig(client: S3Client | EC2Client): Promise<HandlerConfig> {
  const handler = client.config.requestHandler as unknown as { configProvider: Promise<HandlerConfig> };
  return handler.configProvider;
}

/** Every `new <Something>Client(` in the TypeScript sources below `dir`, as `file:line Name`. */
function clientConstructions(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(c|m)?ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .flatMap((e) => {
      const file = join(e.parentPath, e.name);
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const found: string[] = [];
      const visit = (node: ts.Node): void => {
        if (ts.isNewExpression(node) && /Client$/.test(node.expression.getText(source))) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push(`${file.slice(ROOT.length + 1)}:${line} ${node.expression.getText(source)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return found;
    });
}

describe('createAwsClient', () => {
  it('gives a client the shared retry policy and request timeouts', async () => {
    const s3 = createAwsClient(S3Client);
    expect(await s3.config.maxAttempts()).toBe(5);
    expect(s3.config.retryMode).toBe('adaptive');
    expect(await handlerConfig(s3)).toMatchObject({
      connectionTimeout: 3_000,
      requestTimeout: 20_000,
      socketTimeout: 30_000,
      throwOnRequestTimeout: true,
    });
  });

  it("keeps the client's own settings and the tuned retry policy", async () => {
    const ec2 = createAwsClient(EC2Client, { region: 'eu-west-1' }, { maxAttempts: 8, requestMs: 5_000 });
    expect(await ec2.config.region()).toBe('eu-west-1');
    expect(await ec2.config.maxAttempts()).toBe(8);
    expect(await handlerConfig(ec2)).toMatchObject({ requestTimeout: 5_000, connectionTimeout: 3_000 });
  });
});

describe('one way to build an SDK client', () => {
  it('finds a construction where there is one (the scan itself)', () => {
    expect(clientConstructions(join('functions', 'aws'))).toEqual([
      expect.stringMatching(/^functions\/aws\/clients\.ts:\d+ SdkClient$/),
    ]);
  });

  it('builds every SDK client of the product through createAwsClient', () => {
    const outside = ['functions', 'shared', 'infra', 'scripts']
      .flatMap(clientConstructions)
      .filter((where) => !where.startsWith(`${FACTORY}:`));
    expect(outside).toEqual([]);
  });
});
