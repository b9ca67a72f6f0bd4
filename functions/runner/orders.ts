import type { PathGuardConfig } from '../../shared/config/index.js';
import type { ObjectStore, Presigner } from '../../shared/ports/index.js';
import {
  buildOrder,
  type Order,
  type OrderProbe,
  observationKey,
  orderKeys,
} from '../../shared/probes/orders.js';
import type { PlannedProbe } from '../../shared/probes/plan.js';
import type { ProbeRequest } from './upload.js';

/**
 * Writes each on-prem runner's order for this run: its probes' presigned GET URLs with the expected
 * digests (upload probes: the presigned PUT URL or POST form and the bytes to upload), and one presigned PUT per probe for the observation report, so the runner needs no
 * write permission. `orders/<runner>/latest.json` is what the runner reads; a dated copy stays.
 */
export async function writeOrders(
  store: ObjectStore,
  presigner: Presigner,
  cfg: PathGuardConfig,
  items: readonly { planned: PlannedProbe; request: ProbeRequest }[],
  runId: string,
  now: Date,
): Promise<Order[]> {
  const byRunner = new Map<string, { planned: PlannedProbe; request: ProbeRequest }[]>();
  for (const it of items) {
    const list = byRunner.get(it.planned.vantage.id) ?? [];
    list.push(it);
    byRunner.set(it.planned.vantage.id, list);
  }
  const orders: Order[] = [];
  for (const [runnerId, list] of byRunner) {
    const probes: Order['probes'] = [];
    for (const { planned, request } of list) {
      const reportUrl = await presigner.presignPut({
        bucket: cfg.resultsBucket,
        key: observationKey(runId, planned.probeId),
        region: cfg.region,
        expiresInSeconds: cfg.urlExpirySeconds,
        contentType: 'application/json',
      });
      probes.push({
        probeId: planned.probeId,
        ...orderRequest(request),
        expectedSha256: planned.sha256,
        reportUrl,
      });
    }
    const order = buildOrder({ runnerId, runId, issuedAt: now, expirySeconds: cfg.urlExpirySeconds, probes });
    const keys = orderKeys(runnerId, runId, now);
    // The dated copy first: a runner never reads a latest.json whose evidence copy is missing.
    await store.putJson(keys.dated, order);
    await store.putJson(keys.latest, order);
    orders.push(order);
  }
  return orders;
}

/** The order fields of a probe request: a GET keeps the order's original shape (no `method`). */
function orderRequest(r: ProbeRequest): Pick<OrderProbe, 'method' | 'url' | 'form' | 'body'> {
  if (r.method === 'get') return { url: r.url };
  const body = Buffer.from(r.body).toString('base64');
  if (r.method === 'put') return { method: 'put', url: r.url, body };
  return { method: 'post', form: { url: r.form.url, fields: { ...r.form.fields } }, body };
}
