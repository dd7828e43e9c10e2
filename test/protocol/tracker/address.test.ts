import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv6Bytes } from './arbitraries.js';
import { formatIPv4, formatIPv6, normalizeHost, parseIPv4, parseIPv6 } from '../../../src/protocol/tracker/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

test('IPv6 is formatted as RFC 5952 says', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // longest run
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['00000000000000000000ffff7f000001', '::ffff:127.0.0.1'],
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatIPv6(hex(bytes)), text, bytes);
});

test('IPv6 parsing accepts every valid form and refuses the rest', () => {
  assert.deepEqual(parseIPv6('2001:DB8::1'), hex('20010db8000000000000000000000001'));
  assert.deepEqual(parseIPv6('::ffff:1.2.3.4'), hex('00000000000000000000ffff01020304'));
  assert.deepEqual(parseIPv6('1:2:3:4:5:6:1.2.3.4'), hex('0001000200030004000500060102 0304'));
  assert.deepEqual(parseIPv6('1:2:3:4:5:6:7::'), hex('00010002000300040005000600070000'));
  for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '1.2.3.4::',
    '::1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', ':1::', '1::2:', 'fe80::1%eth0']) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});

test('IPv6 bytes → text → bytes round-trips', () => {
  fc.assert(
    fc.property(ipv6Bytes, (bytes) => {
      const text = formatIPv6(bytes);
      assert.deepEqual(parseIPv6(text), Buffer.from(bytes));
      // The WHATWG URL parser also writes RFC 5952 (but IPv4-mapped addresses in hex).
      if (!text.startsWith('::ffff:')) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
    }),
    { numRuns: 2000 },
  );
});

test('IPv4 is a strict dotted quad', () => {
  assert.deepEqual(parseIPv4('127.0.0.1'), Buffer.from([127, 0, 0, 1]));
  assert.equal(formatIPv4(Buffer.from([10, 0, 255, 1])), '10.0.255.1');
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '']) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

test('normalizeHost names the kind and normalizes literals', () => {
  assert.deepEqual(normalizeHost('10.0.0.1'), { host: '10.0.0.1', kind: 'ipv4' });
  assert.deepEqual(normalizeHost('[2001:DB8::0:1]'), { host: '2001:db8::1', kind: 'ipv6' });
  assert.deepEqual(normalizeHost('Tracker.Example.org'), { host: 'tracker.example.org', kind: 'name' });
  for (const bad of ['', '010.0.0.1', '1.2.3', 'a b', 'x..y', '-x.org', '[::1', 'a'.repeat(64)]) {
    assert.equal(normalizeHost(bad), undefined, bad);
  }
});
