import { type AwsClientOptions, awsClientConfig } from './retry.js';

/**
 * Builds an AWS SDK v3 client with PathGuard's retry policy and timeouts ({@link awsClientConfig}):
 * adaptive retries and connection, request and socket timeouts, so no call can stall a Lambda
 * until its own timeout. Every client in the product is built here; a test holds the sources to
 * it. `config` adds the client's own settings (region, endpoint, credentials) and wins over the
 * defaults; `opts` tunes the retry policy (EC2 and CloudWatch Logs want more attempts).
 *
 * @example
 * const ec2 = createAwsClient(EC2Client, { region: 'eu-west-1' }, { maxAttempts: 8 });
 * const s3 = createAwsClient(S3Client);
 */
// biome-ignore lint/suspicious/noExplicitAny: any SDK client class; its config type is read below.
export function createAwsClient<Ctor extends new (...args: any[]) => unknown>(
  SdkClient: Ctor,
  config?: NonNullable<ConstructorParameters<Ctor>[0]>,
  opts: AwsClientOptions = {},
): InstanceType<Ctor> {
  return new SdkClient({ ...awsClientConfig(opts), ...config }) as InstanceType<Ctor>;
}
