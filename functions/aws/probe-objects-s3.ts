import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ProbeObjectRemover } from '../../shared/ports/index.js';
import { sendNamed } from './retry.js';

/**
 * Deletes upload probes' objects with S3 DeleteObject. The client retries throttling and 5xx
 * itself (functions/aws/retry.ts `awsClientConfig`); a failure for good is an `AwsCallError`
 * naming the object. The analyze role may delete only under each probe bucket's
 * `<probePrefix>/probes/` (infra), and the analyzer asks only for probe keys.
 *
 * @example
 * await new S3ProbeObjects(s3).deleteProbeObject('example-data-bucket', 'pathguard/probes/2026/12/03/01KBK….bin');
 */
export class S3ProbeObjects implements ProbeObjectRemover {
  constructor(private readonly s3: S3Client) {}

  async deleteProbeObject(bucket: string, key: string): Promise<void> {
    // A key already gone answers 204 as well: deleting twice (a re-run) is harmless.
    await sendNamed(`S3 DeleteObject s3://${bucket}/${key}`, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
    );
  }
}
