import { createECDH, createHash, createHmac, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** SigV4a's algorithm name (`X-Amz-Algorithm`, the Authorization scheme, the string to sign). */
export const SIGV4A_ALGORITHM = 'AWS4-ECDSA-P256-SHA256';

/** The order of P-256 minus two, big-endian: a derived candidate must not exceed it. */
const N_MINUS_TWO = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63254F', 'hex');
/** The derivation gives up after this many counters, as the SDK does (254). */
const MAX_COUNTER = 254;

/**
 * The SigV4a signing key pair of an access key, derived as the SigV4a specification does and as
 * the AWS SDK's JS signer implements it (`@smithy/signature-v4a` `getSigV4aSigningKey`): an
 * HMAC-SHA256 key derivation in counter mode (NIST SP 800-108) keyed with `"AWS4A" + secret`, over
 * the fixed input `0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 || accessKeyId || counter ||
 * 0x00000100` (256 output bits); the first candidate not above n−2 (n the P-256 order) plus one is
 * the private key. Two details follow the SDK byte for byte: the secret's characters are taken as
 * single bytes, and each retry hashes the previous fixed inputs followed by the new one (the CRT
 * starts afresh). A retry happens with probability about 2⁻³², so the two never disagree in
 * practice; the tests hold the result to AWS's published public key for the documentation's
 * example credentials.
 *
 * Only node:crypto: the HMAC for the derivation, ECDH to turn the private scalar into its public
 * point, a JWK to make it a verification key.
 *
 * @returns the private scalar (32 bytes, big-endian) and the public key, or null when no counter
 *   gives a candidate (never observed; the SDK throws there).
 */
export function deriveSigV4aKeyPair(
  accessKeyId: string,
  secretAccessKey: string,
): { privateKey: Buffer; publicKey: KeyObject } | null {
  const hmacKey = Buffer.from(`AWS4A${secretAccessKey}`, 'latin1');
  let input = '';
  for (let counter = 1; counter < MAX_COUNTER; counter++) {
    input += `\x00\x00\x00\x01${SIGV4A_ALGORITHM}\x00${accessKeyId}${String.fromCharCode(counter)}\x00\x00\x01\x00`;
    const candidate = createHmac('sha256', hmacKey).update(Buffer.from(input, 'utf8')).digest();
    if (Buffer.compare(candidate, N_MINUS_TWO) > 0) continue;
    const privateKey = addOne(candidate);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateKey);
    const point = ecdh.getPublicKey();
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33, 65).toString('base64url'),
      },
      format: 'jwk',
    });
    return { privateKey, publicKey };
  }
  return null;
}

function addOne(value: Buffer): Buffer {
  const out = Buffer.from(value);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}

const publicKeys = new Map<string, KeyObject | null>();

/** The verification key of an access key, derived once per key and kept (the lab has a handful). */
export function sigV4aPublicKey(accessKeyId: string, secretAccessKey: string): KeyObject | null {
  const id = `${accessKeyId}\n${secretAccessKey}`;
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = deriveSigV4aKeyPair(accessKeyId, secretAccessKey)?.publicKey ?? null;
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * SigV4a's string to sign: the algorithm, the request time, the scope without a Region
 * (`<date>/<service>/aws4_request`: the Regions are in `X-Amz-Region-Set`, which the canonical
 * request carries) and the hex SHA-256 of the canonical request.
 */
export function sigV4aStringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  const hash = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return `${SIGV4A_ALGORITHM}\n${amzDate}\n${scope}\n${hash}`;
}

/**
 * Whether `signatureHex` is a valid ECDSA P-256 signature (DER, hex) of the SHA-256 of
 * `stringToSign` under the access key's derived key. Total: a signature that is not hex, not DER
 * or simply wrong is `false`, never an exception.
 *
 * @example
 * verifySigV4aSignature(key.accessKeyId, key.secretAccessKey, stringToSign, '3045022100…'); // true
 */
export function verifySigV4aSignature(
  accessKeyId: string,
  secretAccessKey: string,
  stringToSign: string,
  signatureHex: string,
): boolean {
  // A DER ECDSA P-256 signature is at most 72 bytes; anything else is not worth parsing.
  if (!/^(?:[0-9a-f]{2}){8,80}$/.test(signatureHex)) return false;
  const key = sigV4aPublicKey(accessKeyId, secretAccessKey);
  if (key === null) return false;
  try {
    return verify('sha256', Buffer.from(stringToSign, 'utf8'), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    // OpenSSL reports some malformed DER as an error rather than a failed verification.
    return false;
  }
}

/**
 * Whether a SigV4a Region set (`X-Amz-Region-Set`: comma-separated Regions, `*` wildcards) covers
 * a Region: `*` covers every Region, `us-west-*` the Regions it prefixes.
 */
export function regionSetCovers(regionSet: string, region: string): boolean {
  return regionSet.split(',').some((pattern) => {
    const p = pattern.trim();
    if (p === '*') return true;
    if (p.endsWith('*')) return region.startsWith(p.slice(0, -1));
    return p === region;
  });
}
