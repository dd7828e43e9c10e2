import { assign, enqueueActions, sendParent, setup } from 'xstate';
import type { DownloadEngine } from '../engine/download-engine.js';
import type { PeerHandle } from '../engine/peer-handle.js';
import type { PieceVerdict } from './file-manager.js';
import { type Ban, type Suspect, addStrikes, blameForFailure, corruptBlockBan } from '../policy/hash-blame.js';
import { SmartBan, blockDigests } from '../policy/smart-ban.js';

/**
 * The Downloader owns what we have: it drives the DownloadEngine (which owns the piece picker) with
 * the control events of the download — the initial check's result, peers joining and leaving,
 * pieces verified or failed, pause and resume, the periodic check for requests that timed out — and
 * reports each verdict to the Torrent with the counts that follow from it, so no one infers
 * completion from the order of events. It also judges who sent bad data (strikes, smart ban) and
 * reports the bans. The block traffic itself runs in the engine, and so do the verified pieces that
 * decide nothing (`recordRoutineVerdict`): this machine gets the verdicts it judges.
 *
 *   stage:    waitingForCheck ──CHECKED──▶ fetching ──(all wanted pieces verified)──▶ complete
 *                                              ◀──(SET_SELECTION wants more)──
 *   activity: running ⇄ paused
 *
 * SET_SELECTION changes the file selection (wanted pieces, priorities) while running: the engine
 * fetches what is newly wanted, and the new counts go to the Torrent (`DOWNLOAD.SELECTION`).
 */

export interface DownloaderInput {
  engine: DownloadEngine;
  /** How many failed pieces a peer may send before it is banned. Default 3. */
  maxHashFailures?: number;
  timeoutCheckMs?: number;
  /** Shared with `recordRoutineVerdict`, which leaves this machine the pieces under suspicion. */
  smartBan?: SmartBan;
}

export type DownloaderEvent =
  | { type: 'PEER_ADDED'; peer: PeerHandle }
  | { type: 'PEER_REMOVED'; key: string }
  /** The initial check's result: the pieces found on disk. */
  | { type: 'CHECKED'; have: Uint8Array }
  /** From the FileManager's verifier: a failure, or a verified piece `recordRoutineVerdict` left to us. */
  | PieceVerdict
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  /** A new file selection: the pieces to fetch (undefined: all) and their priorities (undefined: all normal). */
  | { type: 'SET_SELECTION'; wanted?: Uint8Array; priorities?: Int8Array };

/** What the Downloader tells its parent (the Torrent); `have` / `total` count wanted pieces after the event. */
export type DownloaderReport =
  | { type: 'DOWNLOAD.CHECKED'; have: number; total: number }
  | { type: 'DOWNLOAD.VERIFIED'; index: number; have: number; total: number }
  /** The selection changed: the wanted pieces we have, of those wanted now. */
  | { type: 'DOWNLOAD.SELECTION'; have: number; total: number }
  /** `peers`: the keys of the connections that sent blocks of the piece. */
  | { type: 'DOWNLOAD.FAILED'; index: number; peers: string[] }
  | { type: 'DOWNLOAD.BANNED'; peerId: string; address: string; reason: string };

export interface DownloaderContext {
  engine: DownloadEngine;
  maxHashFailures: number;
  timeoutCheckMs: number;
  /** Hash failures per remote peer id (hex). */
  strikes: ReadonlyMap<string, number>;
  /** Who sent which block of the pieces that failed, until they verify (block-level blame). */
  smartBan: SmartBan;
  /** Bans proven by the piece being verified, reported right after its verdict. */
  proven: readonly Ban[];
}

/**
 * Most verified pieces decide nothing: not the last wanted one (completion is this machine's to
 * decide), not one that failed before (whose senders the smart ban judges against it). The engine
 * records such a piece and the caller passes its report on, without a transition of this machine:
 * in a swarm peer, a transition per piece was about two fifths of all the memory its JavaScript
 * allocated. Returns that report, or undefined when the verdict is this machine's.
 */
export function recordRoutineVerdict(engine: DownloadEngine, smartBan: SmartBan, verdict: PieceVerdict): Extract<DownloaderReport, { type: 'DOWNLOAD.VERIFIED' }> | undefined {
  if (verdict.type !== 'PIECE_VERIFIED' || smartBan.has(verdict.index) || engine.completesDownload(verdict.index)) return undefined;
  engine.pieceVerified(verdict.index);
  return { type: 'DOWNLOAD.VERIFIED', index: verdict.index, ...engine.progress() };
}

const suspect = (peer: PeerHandle): Suspect => ({ peer: peer.peerId, address: peer.address });
const bannedReport = (ban: Ban): DownloaderReport => ({ type: 'DOWNLOAD.BANNED', peerId: ban.peer, address: ban.address, reason: ban.reason });

export const downloaderMachine = setup({
  types: {
    input: {} as DownloaderInput,
    context: {} as DownloaderContext,
    events: {} as DownloaderEvent,
  },
  delays: { TIMEOUT_CHECK: ({ context }) => context.timeoutCheckMs },
  guards: {
    complete: ({ context }) => context.engine.isComplete(),
    incomplete: ({ context }) => !context.engine.isComplete(),
  },
  actions: {
    addPeer: ({ context }, peer: PeerHandle) => context.engine.addPeer(peer),
    removePeer: ({ context }, key: string) => context.engine.removePeer(key),
    start: ({ context }, have: Uint8Array) => context.engine.start(have),
    reportChecked: sendParent(({ context }): DownloaderReport => ({ type: 'DOWNLOAD.CHECKED', ...context.engine.progress() })),
    checkTimeouts: ({ context }) => context.engine.checkTimeouts(),
    pause: ({ context }) => context.engine.pause(),
    setSelection: ({ context }, selection: { wanted?: Uint8Array; priorities?: Int8Array }) => context.engine.setSelection(selection.wanted, selection.priorities),
    reportSelection: sendParent(({ context }): DownloaderReport => ({ type: 'DOWNLOAD.SELECTION', ...context.engine.progress() })),
    resume: ({ context }) => context.engine.resume(),
    /**
     * Before the engine frees the piece's blocks: whoever sent a block that differs from the good one
     * is to be banned (reported after the verdict itself, which is the proof).
     */
    judgeVerified: assign(({ context }, index: number) => {
      if (!context.smartBan.has(index)) return {};
      const evidence = context.engine.pieceEvidence(index);
      // Verified without its blocks in memory (written block by block): nothing to compare with.
      const verdict = context.smartBan.pieceVerified(index, evidence ? blockDigests(evidence.blocks) : []);
      return { proven: verdict.guilty.map((guilty) => corruptBlockBan(guilty, index, guilty.block)) };
    }),
    reportProven: enqueueActions(({ context, enqueue }) => {
      if (context.proven.length === 0) return;
      for (const ban of context.proven) enqueue.sendParent(bannedReport(ban));
      enqueue.assign({ proven: [] });
    }),
    recordVerified: ({ context }, index: number) => context.engine.pieceVerified(index),
    reportVerified: sendParent(({ context }, index: number): DownloaderReport => ({ type: 'DOWNLOAD.VERIFIED', index, ...context.engine.progress() })),
    /** Remembers who sent what (for the smart ban), strikes the plainly guilty, then puts the piece back to be fetched again. */
    blameFailure: enqueueActions(({ context, enqueue }, index: number) => {
      const evidence = context.engine.pieceEvidence(index);
      const contributors = context.engine.contributorsOf(index);
      // Senders that have left since (banned for an earlier piece, say) are still named.
      const peers = new Set([...contributors.map((p) => p.key), ...(evidence?.senders.flatMap((sender) => (sender ? [sender.key] : [])) ?? [])]);
      enqueue.sendParent({ type: 'DOWNLOAD.FAILED', index, peers: [...peers] } satisfies DownloaderReport);
      if (evidence) {
        const digests = blockDigests(evidence.blocks);
        context.smartBan.pieceFailed(index, evidence.senders.map((sender, i) => sender && { ...sender, digest: digests[i]! }));
      }
      const blamed = blameForFailure(evidence?.senders, contributors.map(suspect));
      const { strikes, bans } = addStrikes(context.strikes, blamed, context.maxHashFailures);
      enqueue.assign({ strikes });
      for (const ban of bans) enqueue.sendParent(bannedReport(ban));
    }),
    recordFailed: ({ context }, index: number) => context.engine.pieceFailed(index),
  },
}).createMachine({
  id: 'downloader',
  context: ({ input }) => ({
    engine: input.engine,
    maxHashFailures: input.maxHashFailures ?? 3,
    timeoutCheckMs: input.timeoutCheckMs ?? 5000,
    strikes: new Map(),
    smartBan: input.smartBan ?? new SmartBan(),
    proven: [],
  }),
  type: 'parallel',
  states: {
    stage: {
      initial: 'waitingForCheck',
      states: {
        waitingForCheck: {
          on: {
            CHECKED: { target: 'fetching', actions: [{ type: 'start', params: ({ event }) => event.have }, 'reportChecked'] },
          },
        },
        fetching: {
          always: { guard: 'complete', target: 'complete' },
          after: { TIMEOUT_CHECK: { target: 'fetching', reenter: true, actions: 'checkTimeouts' } },
        },
        /** Every wanted piece is verified. Peers are still registered: a block nobody requested still closes its sender. */
        complete: {
          // Only a new selection can want more.
          always: { guard: 'incomplete', target: 'fetching' },
        },
      },
    },
    activity: {
      initial: 'running',
      states: {
        running: { on: { PAUSE: { target: 'paused', actions: 'pause' } } },
        /** No requests; blocks already under way are still taken and verified. */
        paused: { on: { RESUME: { target: 'running', actions: 'resume' } } },
      },
    },
  },
  on: {
    PEER_ADDED: { actions: { type: 'addPeer', params: ({ event }) => event.peer } },
    PEER_REMOVED: { actions: { type: 'removePeer', params: ({ event }) => event.key } },
    SET_SELECTION: { actions: [{ type: 'setSelection', params: ({ event }) => event }, 'reportSelection'] },
    PIECE_VERIFIED: {
      actions: [
        { type: 'judgeVerified', params: ({ event }) => event.index },
        { type: 'recordVerified', params: ({ event }) => event.index },
        { type: 'reportVerified', params: ({ event }) => event.index },
        'reportProven',
      ],
    },
    PIECE_FAILED: {
      actions: [
        { type: 'blameFailure', params: ({ event }) => event.index },
        { type: 'recordFailed', params: ({ event }) => event.index },
      ],
    },
  },
});
