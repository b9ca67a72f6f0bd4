import { describe, expect, it } from 'vitest';
import { CidrSet, formatCidr, isCidr, parseCidr } from '../../shared/net/cidr-set.js';
import { IpAddress } from '../../shared/net/ip.js';

describe('parseCidr', () => {
  it('reads IPv4 and IPv6 blocks', () => {
    const v4 = parseCidr('52.216.0.0/15');
    expect(typeof v4).not.toBe('string');
    if (typeof v4 !== 'string') {
      expect(v4.family).toBe(4);
      expect(v4.v4).toBe(0x34d80000);
      expect(v4.length).toBe(15);
    }
    const v6 = parseCidr('2600:1FA0:8000::/39');
    if (typeof v6 === 'string') throw new Error(v6);
    expect(formatCidr(v6)).toBe('2600:1fa0:8000::/39');
    expect(isCidr('0.0.0.0/0')).toBe(true);
    expect(isCidr('::/0')).toBe(true);
    expect(isCidr('1.2.3.4/32')).toBe(true);
  });

  it('reads an IPv4-mapped IPv6 block as the IPv4 block', () => {
    const c = parseCidr('::ffff:10.0.0.0/104');
    if (typeof c === 'string') throw new Error(c);
    expect(formatCidr(c)).toBe('10.0.0.0/8');
  });

  it.each([
    ['10.0.0.0', 'missing /prefix-length'],
    ['10.0.0.0/33', 'IPv4 prefix length over 32'],
    ['::/129', 'IPv6 prefix length over 128'],
    ['10.0.0.0/08', 'prefix length is not a number'],
    ['10.0.0.0/', 'prefix length is not a number'],
    ['10.0.0/8', 'not an IPv4 address'],
    ['10.0.0.1/8', 'host bits set: the network is 10.0.0.0/8'],
    ['2600:1fa0:8001::/39', 'host bits set: the network is 2600:1fa0:8000::/39'],
    ['fe80::1%eth0/64', 'not an IPv6 address'],
  ])('refuses %j: %s', (text, message) => {
    expect(parseCidr(text)).toBe(message);
  });
});

describe('CidrSet', () => {
  // Route table of the AWS gateway-endpoint routing example (vpce-gateway.md): a /24 to the
  // internet gateway is more specific than the /19 in the S3 prefix list.
  const { set, errors } = CidrSet.build([
    ['0.0.0.0/0', 'igw'],
    ['54.123.160.0/19', 'vpce'],
    ['54.123.165.0/24', 'igw-specific'],
    ['10.0.0.0/16', 'local'],
    ['::/0', 'eigw'],
    ['2600:1fa0:8000::/39', 'vpce6'],
    ['2600:1fa0:8000::/48', 'nat6'],
  ]);

  it('returns the value of the most specific block', () => {
    expect(errors).toEqual([]);
    expect(set.get('54.123.161.9')).toBe('vpce');
    expect(set.get('54.123.165.77')).toBe('igw-specific');
    expect(set.get('54.123.166.1')).toBe('vpce');
    expect(set.get('54.123.192.0')).toBe('igw');
    expect(set.get('54.123.159.255')).toBe('igw');
    expect(set.get('10.0.255.255')).toBe('local');
    expect(set.get('255.255.255.255')).toBe('igw');
    expect(set.get('0.0.0.0')).toBe('igw');
    expect(set.lookup('54.123.165.77')).toBe('igw-specific');
  });

  it('keeps the families apart and reads IPv6 by word', () => {
    expect(set.get('2600:1fa0:8001::1')).toBe('vpce6');
    expect(set.get('2600:1fa0:8000:ffff::1')).toBe('nat6');
    expect(set.get('2600:1fa0:8000::9')).toBe('nat6');
    expect(set.get('2600:1fa0:a000::')).toBe('eigw');
    expect(set.get('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('eigw');
    const v4only = CidrSet.build([['0.0.0.0/0', 'x']]).set;
    expect(v4only.get('2600::1')).toBeUndefined();
  });

  it('answers for parsed addresses as for text', () => {
    const a = new IpAddress();
    a.parse('54.123.165.1');
    expect(set.get(a)).toBe('igw-specific');
    a.parse('::ffff:54.123.165.1');
    expect(set.get(a)).toBe('igw-specific');
  });

  it('returns undefined outside every block and for non-addresses', () => {
    const s = CidrSet.build([
      ['10.0.0.0/8', 1],
      ['192.168.0.0/16', 2],
    ]).set;
    expect(s.get('11.0.0.0')).toBeUndefined();
    expect(s.get('9.255.255.255')).toBeUndefined();
    expect(s.get('10.0.0.0')).toBe(1);
    expect(s.get('bogus')).toBeUndefined();
    expect(s.get('')).toBeUndefined();
    expect(s.has('192.168.3.4')).toBe(true);
    expect(CidrSet.empty<number>().get('10.0.0.1')).toBeUndefined();
  });

  it('reports malformed blocks with their position instead of throwing', () => {
    const { set: s, errors: e } = CidrSet.build([
      ['10.0.0.0/8', 'a'],
      ['10.0.0.1/8', 'b'],
      ['banana', 'c'],
      ['172.16.0.0/12', 'd'],
    ]);
    expect(e).toEqual([
      { cidr: '10.0.0.1/8', index: 1, message: 'host bits set: the network is 10.0.0.0/8' },
      { cidr: 'banana', index: 2, message: 'missing /prefix-length' },
    ]);
    expect(s.size).toBe(2);
    expect(s.get('172.20.0.1')).toBe('d');
  });

  it('keeps the earlier value for a repeated block unless told how to choose', () => {
    const entries: [string, string][] = [
      ['10.0.0.0/8', 'first'],
      ['::ffff:10.0.0.0/104', 'second'],
    ];
    expect(CidrSet.build(entries).set.get('10.1.1.1')).toBe('first');
    const joined = CidrSet.build(entries, { onDuplicate: (a, b) => `${a}+${b}` }).set;
    expect(joined.get('10.1.1.1')).toBe('first+second');
    expect(joined.size).toBe(1);
  });

  it('handles blocks touching the ends of the address space', () => {
    const s = CidrSet.build([
      ['0.0.0.0/1', 'low'],
      ['128.0.0.0/1', 'high'],
      ['255.255.255.255/32', 'top'],
      ['0.0.0.0/32', 'bottom'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 'top6'],
    ]).set;
    expect(s.get('0.0.0.0')).toBe('bottom');
    expect(s.get('0.0.0.1')).toBe('low');
    expect(s.get('127.255.255.255')).toBe('low');
    expect(s.get('128.0.0.0')).toBe('high');
    expect(s.get('255.255.255.254')).toBe('high');
    expect(s.get('255.255.255.255')).toBe('top');
    expect(s.get('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('top6');
    expect(s.get('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toBeUndefined();
  });

  it('lists its distinct blocks in canonical form', () => {
    const s = CidrSet.build([
      ['2600:1FA0:8000::/39', 1],
      ['10.0.0.0/8', 2],
    ]).set;
    expect(s.cidrs).toEqual(['2600:1fa0:8000::/39', '10.0.0.0/8']);
  });

  it('zips several sets into one whose answers hold each answer of the parts', () => {
    const s3 = CidrSet.build([
      ['52.216.0.0/15', 'pl-s3'],
      ['2600:1fa0:8000::/39', 'pl-s3'],
    ]).set;
    const endpoints = CidrSet.build([
      ['10.0.3.24/32', 'vpce-a'],
      ['52.216.7.7/32', 'odd'],
    ]).set;
    const vpcs = CidrSet.build([['10.0.0.0/16', 'vpc-1']]).set;
    const facts = CidrSet.zip({ s3, endpoints, vpcs });
    expect(facts.get('52.217.1.1')).toEqual({ s3: 'pl-s3' });
    expect(facts.get('52.216.7.7')).toEqual({ s3: 'pl-s3', endpoints: 'odd' });
    expect(facts.get('52.216.7.8')).toEqual({ s3: 'pl-s3' });
    expect(facts.get('10.0.3.24')).toEqual({ endpoints: 'vpce-a', vpcs: 'vpc-1' });
    expect(facts.get('10.0.3.25')).toEqual({ vpcs: 'vpc-1' });
    expect(facts.get('2600:1fa0:8001::1')).toEqual({ s3: 'pl-s3' });
    expect(facts.get('8.8.8.8')).toBeUndefined();
    expect(facts.get('::')).toBeUndefined();
    // Equal answers share one object.
    expect(facts.get('52.217.1.1')).toBe(facts.get('52.216.0.1'));
    expect(CidrSet.zip({}).get('10.0.0.1')).toBeUndefined();
  });
});
