import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Rc4 } from '../../../src/protocol/mse/index.js';

// RFC 6229 "Test Vectors for the Stream Cipher RC4", quoted: keystream bytes at the given offsets.
const RFC6229: { key: string; at: Record<number, string> }[] = [
  {
    key: '0102030405',
    at: {
      0: 'b2396305f03dc027ccc3524a0a1118a8',
      16: '6982944f18fc82d589c403a47a0d0919',
      240: '28cb1132c96ce286421dcaadb8b69eae',
      256: '1cfcf62b03eddb641d77dfcf7f8d8c93',
      496: '42b7d0cdd918a8a33dd51781c81f4041',
      512: '6459844432a7da923cfb3eb4980661f6',
      752: 'ec10327bde2beefd18f9277680457e22',
      768: 'eb62638d4f0ba1fe9fca20e05bf8ff2b',
      1008: '45129048e6a0ed0b56b490338f078da5',
      1024: '30abbcc7c20b01609f23ee2d5f6bb7df',
      1520: '3294f744d8f9790507e70f62e5bbceea',
      1536: 'd8729db41882259bee4f825325f5a130',
      2032: '1eb14a0c13b3bf47fa2a0ba93ad45b8b',
      2048: 'cc582f8ba9f265e2b1be9112e975d2d7',
      3056: 'f2e30f9bd102ecbf75aaade9bc35c43c',
      3072: 'ec0e11c479dc329dc8da7968fe965681',
      4080: '068326a2118416d21f9d04b2cd1ca050',
      4096: 'ff25b58995996707e51fbdf08b34d875',
    },
  },
  {
    key: '0102030405060708090a0b0c0d0e0f10',
    at: {
      0: '9ac7cc9a609d1ef7b2932899cde41b97',
      16: '5248c4959014126a6e8a84f11d1a9e1c',
      1024: 'bdf0324e6083dcc6d3cedd3ca8c53c16',
      1536: 'ffa0b514647ec04f6306b892ae661181',
      4096: 'a36a4c301ae8ac13610ccbc12256cacc',
    },
  },
  {
    key: 'c109163908ebe51debb46227c6cc8b37641910833222772a',
    at: {
      0: '54b64e6b5a20b5e2ec84593dc7989da7',
      16: 'c135eee237a85465ff97dc03924f45ce',
      1024: 'f5854cdb76c889e3ad63354e5f7275e3',
      1536: 'baefe6d9ceb651842260e0d1e05e3b90',
      4096: 'e4dd2e98d6960fae0b43545456743391',
    },
  },
];

for (const vector of RFC6229) {
  test(`RC4 keystream matches RFC 6229 for the ${vector.key.length * 4}-bit key ${vector.key}`, () => {
    const keystream = new Rc4(Buffer.from(vector.key, 'hex')).update(Buffer.alloc(4112));
    for (const [offset, hex] of Object.entries(vector.at)) {
      assert.equal(keystream.subarray(Number(offset), Number(offset) + 16).toString('hex'), hex, `offset ${offset}`);
    }
  });
}

test('skip(1024) leaves the stream where RFC 6229 says byte 1024 is (MSE discards the first 1024 bytes)', () => {
  const rc4 = new Rc4(Buffer.from('0102030405', 'hex'));
  rc4.skip(1024);
  assert.equal(rc4.update(Buffer.alloc(16)).toString('hex'), '30abbcc7c20b01609f23ee2d5f6bb7df');
});

test('the stream is the same whatever the chunking, the alignment of input and output, and in place', () => {
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const plain = randomBytes(70_001);
  const original = Buffer.from(plain);
  const whole = new Rc4(key).update(plain);
  const rc4 = new Rc4(key);
  // Odd offsets on both sides, chunk sizes from 1 to 5 000 bytes.
  const out = Buffer.alloc(plain.length + 3);
  let at = 0;
  for (let size = 1; at < plain.length; size = (size * 7 + 3) % 5000 || 1) {
    const n = Math.min(size, plain.length - at);
    rc4.process(plain.subarray(at, at + n), out, 3 + at);
    at += n;
  }
  assert.ok(out.subarray(3).equals(whole));
  assert.ok(plain.equals(original), 'an input that is not the output is left as it was');
  const inPlace = Buffer.from(plain.subarray(1));
  const again = new Rc4(key);
  again.process(plain.subarray(0, 1), Buffer.alloc(1));
  again.process(inPlace, inPlace);
  assert.ok(inPlace.equals(whole.subarray(1)));
  // Decrypting is encrypting again.
  assert.ok(new Rc4(key).update(whole).equals(plain));
});

test('RC4 agrees with OpenSSL (node --openssl-legacy-provider) on a random key and 1 MiB', (t) => {
  const key = randomBytes(20);
  const data = randomBytes(1 << 20);
  const script = `const c=require('crypto').createCipheriv('rc4',Buffer.from(process.argv[1],'hex'),null);const chunks=[];process.stdin.on('data',d=>chunks.push(c.update(d)));process.stdin.on('end',()=>process.stdout.write(Buffer.concat(chunks)));`;
  const run = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', script, key.toString('hex')], { input: data, timeout: 20_000, maxBuffer: 4 << 20 });
  if (run.status !== 0 || run.stdout.length !== data.length) {
    t.skip(`this node's OpenSSL has no legacy RC4: ${run.stderr.toString().split('\n')[0]}`);
    return;
  }
  assert.ok(new Rc4(key).update(data).equals(run.stdout));
});
