import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerMachine } from '../../src/actors/peer.js';
import { torrentMachine } from '../../src/actors/torrent.js';
import { trackerClientMachine } from '../../src/actors/tracker-client.js';
import { activePaths, allCharts, chartNameOf, machineChart, type ChartState } from '../../src/ui/machine-charts.js';

const paths = (state: ChartState): string[] => [state.path, ...state.states.flatMap(paths)];

test('a chart is the machine\u2019s state tree, each state named by its path, with its transitions', () => {
  const chart = machineChart('peer', peerMachine, 'Peer');
  assert.equal(chart.root.path, '');
  assert.equal(chart.root.initial, 'handshaking');
  const all = paths(chart.root);
  for (const p of ['handshaking', 'active', 'active.amChoking', 'active.amChoking.choking', 'active.peerInterested.yes', 'closed']) assert.ok(all.includes(p), p);
  const active = chart.root.states.find((s) => s.key === 'active')!;
  assert.equal(active.type, 'parallel');
  const choking = active.states.find((s) => s.key === 'amChoking')!.states.find((s) => s.key === 'choking')!;
  assert.deepEqual(choking.transitions, ['UNCHOKE → active.amChoking.unchoked']);
  const closed = chart.root.states.find((s) => s.key === 'closed')!;
  assert.equal(closed.type, 'final');
  // Every machine with a diagram has a chart, and the charts are plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(allCharts())), allCharts());
});

test('a running actor is matched to its chart by machine id; the active paths come from its state value', () => {
  assert.equal(chartNameOf(torrentMachine), 'torrent');
  assert.equal(chartNameOf(trackerClientMachine), 'tracker-client');
  assert.equal(chartNameOf({ transition: () => undefined }), undefined, 'callback actors have no chart');
  assert.equal(chartNameOf(undefined), undefined);
  assert.deepEqual(activePaths('downloading'), ['downloading']);
  assert.deepEqual(activePaths({ active: { amChoking: 'choking', peerInterested: 'no' } }), ['active', 'active.amChoking', 'active.amChoking.choking', 'active.peerInterested', 'active.peerInterested.no']);
  assert.deepEqual(activePaths(undefined), []);
});
