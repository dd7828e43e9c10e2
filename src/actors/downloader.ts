import { assign, setup } from 'xstate';
import type { DownloadEngine } from '../engine/download-engine.js';
import type { PeerHandle } from '../engine/peer-handle.js';
import type { PiecePicker } from '../policy/piece-picker.js';

/**
 * The Downloader: decides when to download and reacts to the control events of the download —
 * peers joining and leaving, pieces verified or failed, pause and resume, and the periodic check
 * for requests that timed out. The block traffic itself runs in the DownloadEngine.
 */

export interface DownloaderInput {
  engine: DownloadEngine;
  picker: PiecePicker;
  timeoutCheckMs?: number;
}

export type DownloaderEvent =
  | { type: 'PEER_ADDED'; peer: PeerHandle }
  | { type: 'PEER_REMOVED'; key: string }
  | { type: 'PIECE_VERIFIED'; index: number }
  | { type: 'PIECE_FAILED'; index: number }
  | { type: 'CHECKED' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' };

export const downloaderMachine = setup({
  types: {
    input: {} as DownloaderInput,
    context: {} as DownloaderInput & { peers: number; verified: number; failed: number },
    events: {} as DownloaderEvent,
  },
  delays: { TIMEOUT_CHECK: ({ context }) => context.timeoutCheckMs ?? 5000 },
  guards: {
    complete: ({ context }) => context.picker.isComplete(),
    // Evaluated before the picker records the piece: is it the last one missing?
    completedByThis: ({ context }) => context.picker.missingCount === 1,
    hasPeers: ({ context }) => context.peers > 0,
    lastPeer: ({ context }) => context.peers <= 1,
    endgame: ({ context }) => context.picker.inEndgame(),
  },
  actions: {
    engineAddPeer: ({ context, event }) => {
      if (event.type === 'PEER_ADDED') context.engine.addPeer(event.peer);
    },
    engineRemovePeer: ({ context, event }) => {
      if (event.type === 'PEER_REMOVED') context.engine.removePeer(event.key);
    },
    countPeerIn: assign({ peers: ({ context }) => context.peers + 1 }),
    countPeerOut: assign({ peers: ({ context }) => Math.max(0, context.peers - 1) }),
    pieceVerified: ({ context, event }) => {
      if (event.type === 'PIECE_VERIFIED') context.engine.pieceVerified(event.index);
    },
    pieceFailed: ({ context, event }) => {
      if (event.type === 'PIECE_FAILED') context.engine.pieceFailed(event.index);
    },
    countVerified: assign({ verified: ({ context }) => context.verified + 1 }),
    countFailed: assign({ failed: ({ context }) => context.failed + 1 }),
    checkTimeouts: ({ context }) => context.engine.checkTimeouts(),
    pause: ({ context }) => context.engine.pause(),
    resume: ({ context }) => context.engine.resume(),
  },
}).createMachine({
  id: 'downloader',
  context: ({ input }) => ({ ...input, peers: 0, verified: 0, failed: 0 }),
  initial: 'waitingForCheck',
  states: {
    waitingForCheck: {
      on: {
        PEER_ADDED: { actions: ['engineAddPeer', 'countPeerIn'] },
        CHECKED: [
          { guard: 'complete', target: 'complete' },
          { guard: 'hasPeers', target: 'downloading', actions: 'resume' },
          { target: 'waitingForPeers', actions: 'resume' },
        ],
      },
    },
    waitingForPeers: {
      on: {
        PEER_ADDED: { target: 'downloading', actions: ['engineAddPeer', 'countPeerIn'] },
        // Paused with no peer: a peer arriving later must not start the download.
        PAUSE: { target: 'paused', actions: 'pause' },
      },
    },
    downloading: {
      initial: 'normal',
      states: {
        normal: { always: { guard: 'endgame', target: 'endgame' } },
        endgame: {},
      },
      after: { TIMEOUT_CHECK: { target: 'downloading', reenter: true, actions: 'checkTimeouts' } },
      on: {
        PEER_ADDED: { actions: ['engineAddPeer', 'countPeerIn'] },
        PEER_REMOVED: [
          { guard: 'lastPeer', target: 'waitingForPeers', actions: ['engineRemovePeer', 'countPeerOut'] },
          { actions: ['engineRemovePeer', 'countPeerOut'] },
        ],
        PAUSE: { target: 'paused', actions: 'pause' },
      },
    },
    paused: {
      on: {
        RESUME: [
          { guard: 'hasPeers', target: 'downloading', actions: 'resume' },
          { target: 'waitingForPeers', actions: 'resume' },
        ],
        PEER_ADDED: { actions: ['engineAddPeer', 'countPeerIn'] },
        PEER_REMOVED: { actions: ['engineRemovePeer', 'countPeerOut'] },
      },
    },
    complete: {
      type: 'final',
    },
  },
  on: {
    PIECE_VERIFIED: [
      { guard: 'completedByThis', target: '.complete', actions: ['pieceVerified', 'countVerified'] },
      { actions: ['pieceVerified', 'countVerified'] },
    ],
    PIECE_FAILED: { actions: ['pieceFailed', 'countFailed'] },
    PEER_REMOVED: { actions: ['engineRemovePeer', 'countPeerOut'] },
  },
});
