import type { AnyStateMachine } from 'xstate';
import { clientMachine } from '../actors/client.js';
import { downloaderMachine } from '../actors/downloader.js';
import { fileManagerMachine } from '../actors/file-manager.js';
import { peerMachine } from '../actors/peer.js';
import { serverMachine } from '../actors/server.js';
import { torrentMachine } from '../actors/torrent.js';
import { trackerClientMachine } from '../actors/tracker-client.js';
import { trackerServerMachine } from '../actors/tracker-server.js';
import { uploaderMachine } from '../actors/uploader.js';

/** Every machine with a generated diagram, by the diagram's file name. */
export const MACHINES: Record<string, { machine: AnyStateMachine; title: string }> = {
  torrent: { machine: torrentMachine, title: 'Torrent: orchestrates one torrent' },
  peer: { machine: peerMachine, title: 'Peer: one connection (handshake, choke/interest flags, close reason)' },
  downloader: { machine: downloaderMachine, title: 'Downloader: when and from whom to download' },
  uploader: { machine: uploaderMachine, title: 'Uploader: the choking algorithm' },
  'file-manager': { machine: fileManagerMachine, title: 'FileManager: initial check and piece verification' },
  server: { machine: serverMachine, title: 'Server: accepts incoming peers' },
  client: { machine: clientMachine, title: 'Client: dials candidate peers' },
  'tracker-client': { machine: trackerClientMachine, title: 'TrackerClient: announce lifecycle' },
  'tracker-server': { machine: trackerServerMachine, title: 'TrackerServer: HTTP and UDP tracker' },
};
