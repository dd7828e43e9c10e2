import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatMagnet, MagnetError, parseMagnet } from '../../src/protocol/magnet.js';
import { seededRng } from '../support/fuzz.js';

const SEED = 0x6d61676e;
const COUNT = 120_000;

const golden = JSON.parse(readFileSync(new URL('../fixtures/magnet/libtorrent.json', import.meta.url), 'utf8')) as {
  made: { uri: string }[];
  written: { uri: string }[];
};
const samples = [
  ...golden.made.map((c) => c.uri),
  ...golden.written.map((c) => c.uri),
  'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=[2001:db8::1]:6881&x.pe=host.example:80&so=0,2,4-6&dn=a+b%20c',
];

// Pieces of magnet syntax, so mutations land on the parser's decisions rather than on plain text.
const TOKENS = [
  'magnet:?', 'xt=', 'urn:btih:', 'urn:btmh:1220', 'urn:ed2k:', '&', '=', '%', '%2', '%zz', '%C3%A9', '%ff', '%C3', '%00',
  '%25', '%26', '%3A', '+', 'dn=', 'tr=', 'tr.1=', 'ws=', 'x.pe=', 'so=', 'xt.1=', '[', ']', ':', '::', ',', '-', '0', '9',
  '65535', '65536', '999999999', 'http://', 'https://', 'udp://', 'wss://', 'ftp://', '\u0000', '\n', ' ', '\t', 'é', '😀',
  '\uD800', '\uDC00', '0123456789abcdef0123456789abcdef01234567', 'BCW2LJ5GDA5K4HQJ3AY56Z2I2VTASWQQ', '1.2.3.4', '::1',
  'example.org', '#', '?', '/',
];

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function randomText(rng: () => number): string {
  let out = rng() < 0.5 ? 'magnet:?' : '';
  const n = Math.floor(rng() * 30);
  for (let i = 0; i < n; i++) out += rng() < 0.7 ? pick(rng, TOKENS) : String.fromCharCode(Math.floor(rng() * 0x10000));
  return out;
}

function mutate(rng: () => number, s: string): string {
  const at = Math.floor(rng() * (s.length + 1));
  const span = 1 + Math.floor(rng() * 12);
  switch (Math.floor(rng() * 8)) {
    case 0:
      return s.slice(0, at) + pick(rng, TOKENS) + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(at + span);
    case 2:
      return s.slice(0, at) + s.slice(at, at + span) + s.slice(at);
    case 3:
      return s.slice(0, at) + String.fromCharCode(Math.floor(rng() * 0x10000)) + s.slice(at + 1);
    case 4:
      return s.slice(0, at);
    case 5: {
      const params = s.split('&');
      const i = Math.floor(rng() * params.length);
      const j = Math.floor(rng() * params.length);
      [params[i], params[j]] = [params[j]!, params[i]!];
      return params.join('&');
    }
    case 6: {
      const ch = s.charCodeAt(at);
      if (Number.isNaN(ch) || ch > 0x7f) return s;
      return `${s.slice(0, at)}%${ch.toString(16).padStart(2, '0')}${s.slice(at + 1)}`;
    }
    default: {
      const part = s.slice(at, at + span);
      return s.slice(0, at) + (rng() < 0.5 ? part.toUpperCase() : part.toLowerCase()) + s.slice(at + span);
    }
  }
}

test(`fuzz: ${COUNT.toLocaleString('en')} random and mutated magnet links raise only MagnetError, and what is accepted round-trips`, () => {
  const rng = seededRng(SEED);
  let accepted = 0;
  for (let i = 0; i < COUNT; i++) {
    let input: string;
    if (i % 10 === 0) {
      input = randomText(rng);
    } else {
      input = pick(rng, samples);
      const rounds = 1 + Math.floor(rng() * 4);
      for (let r = 0; r < rounds; r++) input = mutate(rng, input);
    }
    let magnet;
    try {
      magnet = parseMagnet(input);
    } catch (err) {
      if (!(err instanceof MagnetError)) assert.fail(`seed ${SEED} input #${i} ${JSON.stringify(input)} threw ${String(err)}`);
      if (/[\r\n]/.test(err.message)) assert.fail(`seed ${SEED} input #${i}: message is not one line: ${JSON.stringify(err.message)}`);
      continue;
    }
    accepted++;
    assert.equal(magnet.infoHash.length, 20);
    assert.equal(magnet.infoHashHex, magnet.infoHash.toString('hex'));
    const again = parseMagnet(formatMagnet(magnet));
    assert.deepEqual(again, magnet, `seed ${SEED} input #${i} ${JSON.stringify(input)} did not round-trip`);
  }
  assert.ok(accepted > COUNT / 10 && accepted < COUNT * 0.9, `accepted ${accepted} of ${COUNT}: the mix should exercise both paths`);
});
