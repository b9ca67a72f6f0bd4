import {
  methodNotAllowed,
  notImplemented,
  type S3Handler,
  type S3Reply,
  type S3Request,
  type S3Resource,
} from './exchange.js';
import { headBucket, isListObjectsV2, listObjectsV2 } from './handlers/bucket.js';
import { deleteObject, getObject, putObject } from './handlers/object.js';
import { isFormPost, postObject } from './handlers/post-object.js';

/** One row of the table: a method on a resource, optionally a sub-resource, and its handler. */
export interface S3Route {
  readonly method: string;
  readonly resource: S3Resource;
  /**
   * The query parameter that selects the sub-resource this route serves (e.g. `uploads`). A
   * request carrying it matches only such a route; the parameter is then no longer refused as
   * not implemented. @default none: the plain resource
   */
  readonly subresource?: string;
  /** A further condition the request must meet. @default always */
  readonly when?: (req: S3Request) => boolean;
  readonly handler: S3Handler;
}

/**
 * What the lab serves: method × resource → handler. A request no row matches is answered 405
 * MethodNotAllowed, or 501 NotImplemented when it names a sub-resource of another row.
 */
export const S3_ROUTES: readonly S3Route[] = [
  { method: 'HEAD', resource: 'BUCKET', handler: headBucket },
  { method: 'GET', resource: 'BUCKET', when: isListObjectsV2, handler: listObjectsV2 },
  { method: 'GET', resource: 'OBJECT', handler: getObject },
  { method: 'HEAD', resource: 'OBJECT', handler: getObject },
  { method: 'PUT', resource: 'OBJECT', handler: putObject },
  { method: 'DELETE', resource: 'OBJECT', handler: deleteObject },
  // A POST form names its key in the form, so the request addresses the bucket.
  { method: 'POST', resource: 'BUCKET', when: isFormPost, handler: postObject },
];

/** Query parameters of the plain resources (ListObjectsV2's and `x-` ones, e.g. presigning's). */
const PLAIN_PARAMS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'start-after',
  'continuation-token',
  'encoding-type',
  'fetch-owner',
]);

/**
 * The first query parameter selecting a sub-resource no route serves (ACLs, tagging, uploads…),
 * or null.
 */
export function unsupportedSubresource(
  params: readonly [string, string][],
  routes: readonly S3Route[] = S3_ROUTES,
): string | null {
  for (const [k] of params) {
    const lower = k.toLowerCase();
    if (lower.startsWith('x-') || PLAIN_PARAMS.has(lower)) continue;
    if (routes.some((r) => r.subresource === k)) continue;
    return k;
  }
  return null;
}

/** The sub-resource parameter of some route that the request carries, or undefined. */
function subresourceOf(req: S3Request, routes: readonly S3Route[]): string | undefined {
  return req.params.find(([k]) => routes.some((r) => r.subresource === k))?.[0];
}

/** Answers the request with the handler of the first row that matches it. */
export function dispatch(req: S3Request, reply: S3Reply, routes: readonly S3Route[] = S3_ROUTES): void {
  const resource: S3Resource = req.key === null ? 'BUCKET' : 'OBJECT';
  const sub = subresourceOf(req, routes);
  const route = routes.find(
    (r) =>
      r.method === req.method &&
      r.resource === resource &&
      (r.subresource === undefined ? sub === undefined : req.params.some(([k]) => k === r.subresource)) &&
      (r.when === undefined || r.when(req)),
  );
  if (route) {
    route.handler(req, reply);
    return;
  }
  if (sub !== undefined) {
    notImplemented(reply, sub);
    return;
  }
  methodNotAllowed(reply, req.method, resource);
}
