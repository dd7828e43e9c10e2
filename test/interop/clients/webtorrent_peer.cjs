/**
 * A WebTorrent 1.9.x peer, run as its own node process (CommonJS: webtorrent 1.9 is CommonJS).
 *
 *   node webtorrent_peer.cjs seed|leech TORRENT DIR SECONDS [HOST:PORT]
 *
 * TORRENT is a .torrent file or, to leech, a magnet link (then `metadata` {seconds} says when the
 * info dictionary arrived).
 *
 * seed:  verifies the data in DIR and seeds it until SIGTERM / SIGINT, or until SECONDS pass.
 * leech: downloads into DIR from HOST:PORT (dialled directly) and exits 0 once every piece is
 *        verified (2 if SECONDS pass first).
 * Prints one JSON object per line: `listening` {port}, `seeding`, `wire` {address, type, peerId},
 * `complete` {seconds, downloaded}, `warning` / `error` {message}.
 *
 * Discovery is off: no DHT, LSD, trackers, web seeds or uTP, and the torrent is added as private so
 * WebTorrent does not load ut_pex either: the one peer it is given is the only one it meets.
 * WebTorrent 1.9 speaks plaintext (it only dials MSE with `secure: true`). It listens on 0.0.0.0
 * (it cannot bind one address); the tests only ever send to it on 127.0.0.1.
 */
'use strict';
const fs = require('node:fs');
const WebTorrent = require('webtorrent');

// `--secure`: MSE on (WebTorrent's `secure` option); without it, WebTorrent 1.9's default (plaintext).
const secure = process.argv.includes('--secure');
const [mode, torrentFile, dir, secondsText, connectTo] = process.argv.slice(2).filter((a) => a !== '--secure');
const seconds = Number(secondsText);
if ((mode !== 'seed' && mode !== 'leech') || !torrentFile || !dir || !(seconds > 0) || (mode === 'leech' && !connectTo)) {
  console.error('usage: webtorrent_peer.cjs seed|leech TORRENT DIR SECONDS [HOST:PORT]');
  process.exit(64);
}

const emit = (record) => process.stdout.write(JSON.stringify(record) + '\n');
const client = new WebTorrent({ dht: false, lsd: false, tracker: false, utp: false, webSeeds: false, natUpnp: false, natPmp: false, ...(secure ? { secure: true } : {}) });
let code = 0;
let ending = false;

function end(exitCode) {
  if (ending) return;
  ending = true;
  code = exitCode;
  // destroy() closes the listening socket and every wire; exit even if it never calls back.
  setTimeout(() => process.exit(code), 2000).unref();
  client.destroy(() => process.exit(code));
}

client.on('error', (err) => {
  emit({ event: 'error', message: String(err && err.message ? err.message : err) });
  end(1);
});
client.on('listening', () => emit({ event: 'listening', port: client.torrentPort }));

const started = Date.now();
// A magnet link (leech only): the metadata comes from the peer over ut_metadata, so it is dialled
// as soon as the infohash is known instead of once the torrent is ready.
const magnet = torrentFile.startsWith('magnet:');
const torrent = client.add(magnet ? torrentFile : fs.readFileSync(torrentFile), { path: dir, private: true });
torrent.on('infoHash', () => {
  if (mode === 'leech' && magnet) torrent.addPeer(connectTo);
});
torrent.on('metadata', () => emit({ event: 'metadata', seconds: (Date.now() - started) / 1000 }));
torrent.on('warning', (err) => emit({ event: 'warning', message: String(err && err.message ? err.message : err) }));
torrent.on('error', (err) => {
  emit({ event: 'error', message: String(err && err.message ? err.message : err) });
  end(1);
});
torrent.on('wire', (wire, address) => emit({ event: 'wire', address, type: wire.type, peerId: Buffer.from(wire.peerId, 'hex').toString('latin1') }));
torrent.on('ready', () => {
  if (mode === 'leech' && !magnet) torrent.addPeer(connectTo);
});
torrent.on('done', () => {
  if (mode === 'seed') {
    emit({ event: 'seeding' });
  } else {
    emit({ event: 'complete', seconds: (Date.now() - started) / 1000, downloaded: torrent.downloaded });
    end(0);
  }
});

setTimeout(() => {
  if (mode === 'leech') emit({ event: 'error', message: `not complete within ${seconds} s (progress ${torrent.progress})` });
  end(mode === 'leech' ? 2 : 0);
}, seconds * 1000).unref();
// Keeps the process alive until the deadline, a signal, or completion.
const keepAlive = setInterval(() => undefined, 1000);
process.on('exit', () => clearInterval(keepAlive));
process.on('SIGTERM', () => end(code));
process.on('SIGINT', () => end(code));
