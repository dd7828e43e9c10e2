/**
 * WebTorrent 1.9 as an anchor of the bench, one process per peer (CommonJS: webtorrent 1.9 is).
 *
 *   node webtorrent-peer.cjs seed|leech|check TORRENT DIR SECONDS [HOST:PORT]
 *
 * seed:  verifies DIR, prints {"event":"seeding","checkSeconds"}, serves until SECONDS or SIGTERM.
 * leech: downloads into DIR from HOST:PORT, prints {"event":"complete","seconds"} and exits.
 * check: prints {"event":"checked","seconds"} (from client.add to every piece verified) and exits.
 * Every mode prints {"event":"listening","port"} once its port is open.
 *
 * Discovery is off (no DHT, LSD, trackers, web seeds, uTP; the torrent added as private so 1.9 does
 * not load ut_pex either), as in test/interop/clients/webtorrent_peer.cjs.
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');

// WebTorrent 1.9 listens on every address and has no option to bind one: the bench stays on
// loopback, so a server listening on a bare port is given 127.0.0.1.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] === 'function') return listen.call(this, args[0], '127.0.0.1', args[1]);
  return listen.apply(this, args);
};
const WebTorrent = require('webtorrent');

const [mode, torrentFile, dir, secondsText, connectTo] = process.argv.slice(2);
const emit = (record) => process.stdout.write(JSON.stringify(record) + '\n');
const client = new WebTorrent({ dht: false, lsd: false, tracker: false, utp: false, webSeeds: false, natUpnp: false, natPmp: false });
const fail = (err) => {
  emit({ event: 'error', message: String(err && err.message ? err.message : err) });
  process.exit(1);
};
client.on('error', fail);
client.on('listening', () => emit({ event: 'listening', port: client.torrentPort }));

const started = performance.now();
const seconds = () => Math.round(performance.now() - started) / 1000;
const torrent = client.add(fs.readFileSync(torrentFile), { path: dir, private: true });
torrent.on('error', fail);
torrent.on('ready', () => {
  if (mode === 'leech') torrent.addPeer(connectTo);
});
torrent.on('done', () => {
  if (mode === 'seed') return emit({ event: 'seeding', checkSeconds: seconds() });
  emit({ event: mode === 'check' ? 'checked' : 'complete', seconds: seconds() });
  process.exit(0);
});
setTimeout(() => fail(new Error(`not done within ${secondsText} s`)), Number(secondsText) * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
// Keeps a seeder alive until the deadline or a signal.
setInterval(() => undefined, 1000);
