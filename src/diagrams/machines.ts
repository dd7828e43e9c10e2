import type { AnyStateMachine } from 'xstate';
import { clientMachine } from '../actors/client.js';
import { daemonMachine } from '../actors/daemon.js';
import { daemonTorrentMachine } from '../actors/daemon-torrent.js';
import { dhtLookupMachine } from '../actors/dht-lookup.js';
import { dhtNodeMachine } from '../actors/dht-node.js';
import { downloaderMachine } from '../actors/downloader.js';
import { fileManagerMachine } from '../actors/file-manager.js';
import { lsdMachine } from '../actors/lsd.js';
import { metadataFetchMachine } from '../actors/metadata-fetch.js';
import { peerMachine } from '../actors/peer.js';
import { pexMachine } from '../actors/pex.js';
import { serverMachine } from '../actors/server.js';
import { torrentMachine } from '../actors/torrent.js';
import { trackerClientMachine } from '../actors/tracker-client.js';
import { trackerServerMachine } from '../actors/tracker-server.js';
import { uploaderMachine } from '../actors/uploader.js';
import { utpConnectionMachine } from '../actors/utp-connection.js';

/** Every machine with a generated diagram, by the diagram's file name. */
export const MACHINES: Record<string, { machine: AnyStateMachine; title: string }> = {
  torrent: { machine: torrentMachine, title: 'Torrent: orchestrates one torrent' },
  peer: { machine: peerMachine, title: 'Peer: one connection (handshake, choke/interest flags, close reason)' },
  downloader: { machine: downloaderMachine, title: 'Downloader: when and from whom to download' },
  uploader: { machine: uploaderMachine, title: 'Uploader: the choking algorithm' },
  'file-manager': { machine: fileManagerMachine, title: 'FileManager: initial check and piece verification' },
  server: { machine: serverMachine, title: 'Server: accepts incoming peers' },
  client: { machine: clientMachine, title: 'Client: dials candidate peers' },
  'metadata-fetch': { machine: metadataFetchMachine, title: 'MetadataFetch: a magnet link\'s info dictionary from peers (BEP 9)' },
  pex: { machine: pexMachine, title: 'Pex: peer exchange (BEP 11), what to tell each peer and what to believe' },
  'tracker-client': { machine: trackerClientMachine, title: 'TrackerClient: announce lifecycle' },
  'tracker-server': { machine: trackerServerMachine, title: 'TrackerServer: HTTP and UDP tracker' },
  lsd: { machine: lsdMachine, title: 'Lsd: local service discovery (BEP 14), one per session' },
  dht: { machine: dhtNodeMachine, title: 'Dht: a Mainline DHT node (BEP 5), one per session or `actorrent dht`' },
  'dht-lookup': { machine: dhtLookupMachine, title: 'DhtLookup: one iterative lookup (find_node, get_peers, announce_peer)' },
  daemon: { machine: daemonMachine, title: 'Daemon: `actorrent daemon` lifecycle, the queue and state saves' },
  'daemon-torrent': { machine: daemonTorrentMachine, title: 'DaemonTorrent: one daemon torrent (queued, metadata, checking, downloading, seeding, stopped, failed)' },
  'utp-connection': { machine: utpConnectionMachine, title: 'UtpConnection: one uTP connection\'s lifecycle (BEP 29: SYN, FIN, RESET, timeouts)' },
};
