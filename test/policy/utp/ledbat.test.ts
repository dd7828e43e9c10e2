import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LEDBAT, type LedbatConfig, initialLedbat, onAck, onLoss, onTimeout } from '../../../src/policy/utp/ledbat.js';
import { addDelaySample, baseDelay, delayAboveBase, emptyDelayHistory } from '../../../src/policy/utp/delay-history.js';
import { MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, addRttSample, retransmitTimeout } from '../../../src/policy/utp/rtt.js';
import { lostBySack } from '../../../src/policy/utp/loss.js';
import { maxDatagram, maxPayload } from '../../../src/policy/utp/packet-size.js';
import { DEFAULT_UTP_ADMISSION, admitSyn } from '../../../src/policy/utp/admission.js';
import { dialTransports, parseTransportOrder } from '../../../src/policy/transport-order.js';

const config: LedbatConfig = { ...DEFAULT_LEDBAT, mss: 1000 };

test('slow start doubles the window per round trip while the delay is under the target', () => {
  let s = initialLedbat(config);
  assert.equal(s.cwnd, 2000);
  s = onAck(s, { acked: 2000, inFlight: 2000, delayMicros: 1000, saturated: true }, config);
  assert.equal(s.cwnd, 2000 + Math.max(2000, 3000 * 0.99), 'the larger of the bytes acked and the linear gain');
  s = { ...s, cwnd: 100_000 };
  s = onAck(s, { acked: 100_000, inFlight: 100_000, delayMicros: 1000, saturated: true }, config);
  assert.equal(s.cwnd, 200_000, 'a whole window acked doubles it');
  assert.ok(s.slowStart);
});

test('at the target the window stops growing; above it the window shrinks multiplicatively (LEDBAT++); never below one packet', () => {
  let s = { ...initialLedbat(config), cwnd: 100_000, slowStart: false };
  const at = onAck(s, { acked: 10_000, inFlight: 100_000, delayMicros: 100_000, saturated: true }, config);
  assert.equal(at.cwnd, 100_000);
  const over = onAck(s, { acked: 10_000, inFlight: 100_000, delayMicros: 120_000, saturated: true }, config);
  assert.equal(over.cwnd, 100_000 - 100_000 * 0.1 * 0.2, '20 % over the target, a tenth of the window acked: 2 % less');
  const farOver = onAck(s, { acked: 100_000, inFlight: 100_000, delayMicros: 900_000, saturated: true }, config);
  assert.equal(farOver.cwnd, 50_000, 'at most half the window per round trip');
  const under = onAck(s, { acked: 100_000, inFlight: 100_000, delayMicros: 0, saturated: true }, config);
  assert.equal(under.cwnd, 100_000 + 3000, 'at most GAIN bytes per round trip');
  s = { ...s, cwnd: 1200 };
  assert.equal(onAck(s, { acked: 1200, inFlight: 1200, delayMicros: 10_000_000, saturated: true }, config).cwnd, 1000);
});

test('slow start ends when the delay first reaches the target', () => {
  const s = onAck({ ...initialLedbat(config), cwnd: 50_000 }, { acked: 5000, inFlight: 50_000, delayMicros: 120_000, saturated: true }, config);
  assert.equal(s.slowStart, false);
  assert.equal(s.ssthresh, 25_000);
});

test('an application that does not fill the window does not grow it', () => {
  const s = { ...initialLedbat(config), cwnd: 10_000, slowStart: false };
  assert.equal(onAck(s, { acked: 1000, inFlight: 1000, delayMicros: 0, saturated: false }, config).cwnd, 10_000);
});

test('a loss halves the window once per window of packets and per 100 ms; a timeout drops it to one packet', () => {
  const s = { ...initialLedbat(config), cwnd: 64_000, slowStart: false };
  const cut = onLoss(s, true, 1000, 500, config);
  assert.equal(cut.cwnd, 32_000);
  assert.equal(onLoss(cut, false, 2000, 600, config).cwnd, 32_000, 'a packet sent before the cut');
  assert.equal(onLoss(cut, true, 1050, 600, config).cwnd, 32_000, 'within 100 ms');
  assert.equal(onLoss(cut, true, 1200, 600, config).cwnd, 16_000);
  const t = onTimeout(s, false, 700, config);
  assert.equal(t.cwnd, 1000);
  assert.ok(t.slowStart);
  assert.ok(onTimeout(s, true, 700, config).cwnd > 1000, 'an idle direction only decays');
});

test('the base delay is the lowest sample of the kept minutes, across 32-bit wrap, and ages out', () => {
  let h = emptyDelayHistory(0);
  h = addDelaySample(h, 0xfffffff0, 0);
  h = addDelaySample(h, 0x00000100, 10);
  assert.equal(baseDelay(h), 0xfffffff0);
  assert.equal(delayAboveBase(h, 0x00000100), 0x110);
  for (let minute = 1; minute <= 11; minute++) h = addDelaySample(h, 5000, minute * 60_000);
  assert.equal(baseDelay(h), 5000, 'a minimum older than the history is forgotten');
  assert.equal(delayAboveBase(h, 4000), 0, 'below the base reads as no queuing');
});

test('RTT smoothing and the retransmission timeout: floor, back-off, cap', () => {
  let e = addRttSample({ rttVar: 0 }, 100);
  assert.equal(e.rtt, 100);
  e = addRttSample(e, 200);
  assert.equal(e.rtt, 112.5);
  assert.equal(e.minRtt, 100);
  assert.equal(retransmitTimeout({ rtt: 10, rttVar: 1 }, 0), MIN_TIMEOUT_MS);
  assert.equal(retransmitTimeout({ rtt: 10, rttVar: 1 }, 2), 4 * MIN_TIMEOUT_MS);
  assert.equal(retransmitTimeout({ rtt: 10_000, rttVar: 5000 }, 5), MAX_TIMEOUT_MS);
});

test('a packet is lost when three packets sent after it were selectively acked (across the wrap)', () => {
  const inFlight = new Set([0xfffe, 0xffff, 0, 1, 2, 3]);
  // ack_nr 0xfffd; received 0xffff, 1, 2, 3 (not 0xfffe, not 0).
  const lost = lostBySack(0xfffd, [0xffff, 1, 2, 3], (s) => inFlight.has(s), 4);
  assert.deepEqual(lost, [0xfffe, 0]);
  assert.deepEqual(lostBySack(0xfffd, [1, 2], (s) => inFlight.has(s), 4), [], 'two are not enough');
  assert.deepEqual(lostBySack(0xfffd, [9, 10, 11, 12], () => true, 4), [], 'sacks of unsent packets count for nothing');
});

test('packets fit a 1500-byte MTU with the IP and UDP headers (libtorrent reads 1500-byte datagrams)', () => {
  assert.equal(maxDatagram('127.0.0.1'), 1472);
  assert.equal(maxDatagram('::1'), 1452);
  assert.ok(maxPayload('10.0.0.1') + 20 + 2 + 32 <= 1472);
});

test('SYN admission: per-address half-open cap first, then the port-wide ones', () => {
  const counts = { connections: 10, halfOpen: 3, fromAddress: 2, halfOpenFromAddress: 1 };
  assert.deepEqual(admitSyn(counts, DEFAULT_UTP_ADMISSION), { admit: true });
  assert.equal(admitSyn({ ...counts, halfOpenFromAddress: 8 }, DEFAULT_UTP_ADMISSION).admit, false);
  assert.equal(admitSyn({ ...counts, halfOpen: 64 }, DEFAULT_UTP_ADMISSION).admit, false);
  assert.equal(admitSyn({ ...counts, connections: 1000 }, DEFAULT_UTP_ADMISSION).admit, false);
});

test('--transport orders, and a peer that failed uTP is dialled over TCP first', () => {
  assert.deepEqual(parseTransportOrder('utp,tcp'), ['utp', 'tcp']);
  assert.deepEqual(parseTransportOrder(' TCP '), ['tcp']);
  assert.equal(parseTransportOrder('utp,utp'), undefined);
  assert.equal(parseTransportOrder('quic'), undefined);
  assert.deepEqual(dialTransports(['utp', 'tcp'], false), ['utp', 'tcp']);
  assert.deepEqual(dialTransports(['utp', 'tcp'], true), ['tcp', 'utp']);
  assert.deepEqual(dialTransports(['utp'], true), ['utp']);
});
