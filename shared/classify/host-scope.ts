/**
 * Which S3 interface endpoints can carry a request, by the kind of host name it was sent to
 * (aws-facts §4 H10, §5.3): the global access-point endpoint (`com.amazonaws.s3-global.accesspoint`)
 * serves only Multi-Region Access Point names (`<alias>.mrap.accesspoint.s3-global.amazonaws.com`),
 * and "other endpoint types cannot access Multi-Region Access Points", so a Regional S3 endpoint
 * (`com.amazonaws.<region>.s3`, `.s3express`) never carries an MRAP request. A probe's traffic to
 * an endpoint of the other kind is therefore no private path for that probe: the request cannot
 * be served there. One home for the rule: flow evidence, the early verdict and the expected path
 * all ask here.
 */

/** The interface-endpoint service of Multi-Region Access Points. */
export const MRAP_ENDPOINT_SERVICE = 'com.amazonaws.s3-global.accesspoint';

/** The kind of host a request was sent to: a Multi-Region Access Point name, or any other S3 name. */
export interface HostScope {
  readonly mrap: boolean;
}

/** The scope of a probe of `style` (`mrap`, `regional`, `virtual-hosted`, …). */
export function hostScopeOf(style: string): HostScope {
  return style === 'mrap' ? MRAP_HOSTS : OTHER_HOSTS;
}

const MRAP_HOSTS: HostScope = Object.freeze({ mrap: true });
const OTHER_HOSTS: HostScope = Object.freeze({ mrap: false });

/**
 * Whether an S3 interface endpoint of `serviceName` can carry requests for hosts of `scope`.
 *
 * @example
 * servesHosts('com.amazonaws.s3-global.accesspoint', { mrap: false }); // false
 * servesHosts('com.amazonaws.us-east-1.s3', { mrap: true }); // false
 */
export function servesHosts(serviceName: string | undefined, scope: HostScope): boolean {
  return (serviceName === MRAP_ENDPOINT_SERVICE) === scope.mrap;
}

/** What an endpoint of the other kind serves, for reasons. */
export function scopeText(scope: HostScope): string {
  return scope.mrap
    ? `serves no Multi-Region Access Point names (only ${MRAP_ENDPOINT_SERVICE} endpoints do)`
    : 'serves only Multi-Region Access Point names';
}
