import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  addressScope,
  canonicalIpText,
  formatIpv6,
  IpAddress,
  isIpAddress,
  isPrivateAddress,
  parseIpv4,
  parseIpv6,
} from '../../shared/net/ip.js';

const words = (s: string) => {
  const w = new Uint32Array(4);
  return parseIpv6(s, w) ? [...w] : null;
};

describe('parseIpv4', () => {
  it('reads dotted quads to an unsigned 32-bit number', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('10.0.1.7')).toBe(0x0a000107);
    // Above 2^31: must stay positive.
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('203.0.113.12')).toBe(0xcb00710c);
  });

  it('reads a slice of a longer string', () => {
    const line = 'x 52.216.7.1 y';
    expect(parseIpv4(line, 2, 12)).toBe(0x34d80701);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.-1',
    '01.2.3.4',
    '1..2.3',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.',
    '.1.2.3',
    '1.2.3.4/32',
    '0x1.2.3.4',
  ])('refuses %j', (s) => {
    expect(parseIpv4(s)).toBe(-1);
  });
});

describe('parseIpv6', () => {
  it('reads every compression position', () => {
    expect(words('::')).toEqual([0, 0, 0, 0]);
    expect(words('::1')).toEqual([0, 0, 0, 1]);
    expect(words('1::')).toEqual([0x00010000, 0, 0, 0]);
    expect(words('2600:1fa0:8000::')).toEqual([0x26001fa0, 0x80000000, 0, 0]);
    expect(words('2001:db8::8:800:200c:417a')).toEqual([0x20010db8, 0, 0x00080800, 0x200c417a]);
    expect(words('1:2:3:4:5:6:7::')).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070000]);
    expect(words('::2:3:4:5:6:7:8')).toEqual([0x00000002, 0x00030004, 0x00050006, 0x00070008]);
  });

  it('reads full and mixed-case forms', () => {
    expect(words('2001:0DB8:0000:0000:0008:0800:200C:417A')).toEqual([0x20010db8, 0, 0x00080800, 0x200c417a]);
  });

  it('reads a trailing dotted quad (RFC 4291 2.2 form 3)', () => {
    expect(words('::ffff:192.0.2.128')).toEqual([0, 0, 0xffff, 0xc0000280]);
    expect(words('64:ff9b::192.0.2.33')).toEqual([0x0064ff9b, 0, 0, 0xc0000221]);
    expect(words('1:2:3:4:5:6:1.2.3.4')).toEqual([0x00010002, 0x00030004, 0x00050006, 0x01020304]);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:2',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '12345::',
    '1:',
    ':1',
    'g::1',
    'fe80::1%eth0',
    '[::1]',
    '::ffff:1.2.3',
    '::ffff:01.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.4:5',
    '2600:1fa0:8000::/39',
  ])('refuses %j', (s) => {
    expect(words(s)).toBeNull();
  });
});

describe('IpAddress', () => {
  it('gives the family and reuses its storage', () => {
    const a = new IpAddress();
    expect(a.parse('2600:1f18:4a3b::7')).toBe(true);
    expect(a.family).toBe(6);
    const storage = a.words;
    expect(a.parse('10.0.0.1')).toBe(true);
    expect(a.family).toBe(4);
    expect(a.v4).toBe(0x0a000001);
    expect(a.words).toBe(storage);
    expect(a.parse('not-an-ip')).toBe(false);
    expect(a.family).toBe(0);
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    const a = new IpAddress();
    expect(a.parse('::ffff:10.1.2.3')).toBe(true);
    expect(a.family).toBe(4);
    expect(a.v4).toBe(0x0a010203);
    expect(a.parse('::ffff:a01:203')).toBe(true);
    expect(a.family).toBe(4);
    expect(a.v4).toBe(0x0a010203);
  });

  it('prints canonical forms (RFC 5952)', () => {
    expect(canonicalIpText('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpText('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIpText('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIpText('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIpText('nope')).toBeNull();
    expect(formatIpv6([0x26001fa0, 0x80000000, 0, 0])).toBe('2600:1fa0:8000::');
  });

  it('agrees with node:net on which strings are addresses', () => {
    const samples = [
      '1.2.3.4',
      '::',
      '::1',
      'fe80::1',
      '1:2:3:4:5:6:7:8',
      '::ffff:1.2.3.4',
      '1::2::3',
      '1.2.3.256',
      '12345::1',
      'a:b:c:d:e:f:0:1',
      ':1:2:3:4:5:6:7',
    ];
    for (const s of samples) expect(isIpAddress(s), s).toBe(isIP(s) !== 0);
  });
});

describe('address scope', () => {
  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['172.15.255.255', false],
    ['192.168.10.20', true],
    ['192.169.0.1', false],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['100.128.0.1', false],
    ['100.63.255.255', false],
    ['fd12:3456:789a::1', true],
    ['fc00::1', true],
    ['fe00::1', false],
    ['::ffff:192.168.1.1', true],
    ['52.216.4.1', false],
    ['2600:1fa0:8000::1', false],
    ['not an ip', false],
  ])('isPrivateAddress(%s) is %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  it('puts loopback, link-local, unspecified and multicast apart from private and public', () => {
    const a = new IpAddress();
    for (const ip of [
      '127.0.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'ff02::1',
    ]) {
      a.parse(ip);
      expect(addressScope(a), ip).toBe('special');
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
    for (const ip of ['52.216.4.1', '203.0.113.7', '2600:1f18::1']) {
      a.parse(ip);
      expect(addressScope(a), ip).toBe('public');
    }
  });
});
