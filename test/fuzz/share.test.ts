import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzDecoder } from '../support/fuzz.js';
import { targets } from './run.js';

// The seeded share of `npm run fuzz` that `npm test` runs: every target of the runner, 3 000 inputs each.
for (const target of targets) {
  test(`fuzz share: ${target.name}`, () => {
    const report = fuzzDecoder({ seed: 0x5eed, count: 3000, samples: target.samples, decoder: target.decoder, maxRandomLength: target.maxRandomLength });
    assert.equal(report.inputs, 3000);
    assert.ok(report.rejected > 0, 'no input was rejected: the decoder is not being exercised');
    assert.ok(report.rejected < 3000, 'every input was rejected: the samples are not valid');
  });
}
