import { createHash } from 'node:crypto';
import { assign, fromCallback, fromPromise, sendParent, setup } from 'xstate';
import { type Metainfo, pieceHash } from '../protocol/metainfo/index.js';
import { checkExisting, verifyPiece } from '../storage/piece-verifier.js';
import type { Hasher } from '../env/hasher.js';
import { type TorrentStorage, writeBlocks } from '../storage/storage.js';
import { messageOf } from '../util/message-of.js';
import { SYSTEM_IDS } from './ids.js';

/**
 * The torrent's data on disk: prepares the files, checks what is already there, then verifies each
 * piece the downloader completes (SHA-1, a bounded number at a time). A piece assembled in memory
 * (STORE) is hashed first and written only when it is good, in one write; a piece written block by
 * block (VERIFY) is read back. A disk failure stops the torrent.
 *
 * Pieces and verdicts bypass this machine, which decides nothing about them: once ready, its
 * verifier (registered as SYSTEM_IDS.verifier) takes STORE and VERIFY from whoever completes pieces
 * and hands each verdict to `onVerdict`: in a torrent, to the Downloader's judgement (see
 * `recordRoutineVerdict`). Through this machine and the Torrent they cost three more transitions
 * per piece: in a swarm's profile, two thirds of a leecher's XState time went to its pieces.
 */

export interface FileManagerInput {
  meta: Metainfo;
  storage: TorrentStorage;
  /** Skip the initial hash check: the resume data says these pieces are present. */
  trustedHave?: Uint8Array;
  /** Check, but take these pieces as present without reading them (resume data of files that did not change). */
  knownHave?: Uint8Array;
  concurrentVerifications?: number;
  /** Hashes off the main thread (worker threads); default: on it. */
  hasher?: Hasher;
  /** The initial check's progress: pieces looked at so far (called often; no event each). */
  onCheckProgress?: (checked: number) => void;
  /** Each piece's verdict, once, in the order the verifications finish. */
  onVerdict: (verdict: PieceVerdict) => void;
}

/** What the verifier takes: the pieces to verify. */
export type PieceToVerify =
  | { type: 'VERIFY'; index: number }
  /** The blocks of a complete piece, in order; references to received buffers, never kept after the write. */
  | { type: 'STORE'; index: number; blocks: Buffer[] };

export type PieceVerdict = { type: 'PIECE_VERIFIED'; index: number } | { type: 'PIECE_FAILED'; index: number };

export type FileManagerEvent = { type: 'DISK_ERROR'; message: string };

/** What the file manager tells its parent (the Torrent). */
export type FileManagerReport = { type: 'FILES.CHECKED'; have: Uint8Array } | { type: 'FILES.ERROR'; message: string };

const prepareAndCheck = fromPromise<Uint8Array, FileManagerInput>(async ({ input, signal }) => {
  await input.storage.prepare();
  if (input.trustedHave) return input.trustedHave;
  return checkExisting(input.storage, input.meta, { signal, known: input.knownHave, hasher: input.hasher, onProgress: input.onCheckProgress });
});

/** Verifies pieces from a queue, a few at a time, and hands on each verdict; a disk error goes back to the machine. */
const verifier = fromCallback<PieceToVerify, { meta: Metainfo; storage: TorrentStorage; concurrency: number; hasher?: Hasher; onVerdict: (verdict: PieceVerdict) => void }>(
  ({ input, sendBack, receive }) => {
    const queue: ({ index: number; blocks?: Buffer[] })[] = [];
    let running = 0;
    let stopped = false;
    const next = () => {
      while (!stopped && running < input.concurrency && queue.length > 0) {
        const { index, blocks } = queue.shift()!;
        running++;
        (blocks ? storeIfValid(input.storage, input.meta, index, blocks, input.hasher) : verifyPiece(input.storage, input.meta, index, { hasher: input.hasher })).then(
          (ok) => {
            running--;
            if (stopped) return;
            input.onVerdict({ type: ok ? 'PIECE_VERIFIED' : 'PIECE_FAILED', index });
            next();
          },
          (err: unknown) => {
            running--;
            const what = blocks ? 'write failed' : 'read failed';
            if (!stopped) sendBack({ type: 'DISK_ERROR', message: `${what}: ${messageOf(err)}` } satisfies FileManagerEvent);
          },
        );
      }
    };
    receive((event) => {
      if (event.type === 'VERIFY') queue.push({ index: event.index });
      else if (event.type === 'STORE') queue.push({ index: event.index, blocks: event.blocks });
      else return;
      next();
    });
    return () => {
      stopped = true;
    };
  },
);

/**
 * Hashes a piece held in memory; writes it only if it matches, so bad data never reaches the disk.
 * On this thread: measured on a 512 MiB loopback transfer, handing the piece to a hashing thread
 * (a copy and two messages) saved no time and cost 20 MiB more. A hasher that knows the piece's
 * digest (the simulator's, `knownDigest`) answers instead.
 */
async function storeIfValid(storage: TorrentStorage, meta: Metainfo, index: number, blocks: Buffer[], hasher?: Hasher): Promise<boolean> {
  if (!(hasher?.knownDigest?.(index, blocks) ?? sha1Of(blocks)).equals(pieceHash(meta, index))) return false;
  await writeBlocks(storage, index * meta.pieceLength, blocks);
  return true;
}

function sha1Of(blocks: readonly Buffer[]): Buffer {
  const hash = createHash('sha1');
  for (const block of blocks) hash.update(block);
  return hash.digest();
}

export const fileManagerMachine = setup({
  types: {
    input: {} as FileManagerInput,
    context: {} as FileManagerInput & { error?: string },
    events: {} as FileManagerEvent,
  },
  actors: { prepareAndCheck, verifier },
}).createMachine({
  id: 'file-manager',
  context: ({ input }) => ({ ...input }),
  initial: 'checking',
  states: {
    checking: {
      invoke: {
        src: 'prepareAndCheck',
        // The check needs what the FileManager was given: its input is in the context.
        input: ({ context }) => context,
        onDone: {
          target: 'ready',
          actions: sendParent(({ event }) => ({ type: 'FILES.CHECKED', have: event.output }) satisfies FileManagerReport),
        },
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => messageOf(event.error) }),
        },
      },
    },
    ready: {
      invoke: {
        id: 'verifier',
        systemId: SYSTEM_IDS.verifier,
        src: 'verifier',
        input: ({ context }) => ({
          meta: context.meta,
          storage: context.storage,
          hasher: context.hasher,
          concurrency: context.concurrentVerifications ?? 2,
          onVerdict: context.onVerdict,
        }),
      },
      on: {
        DISK_ERROR: { target: 'failed', actions: assign({ error: ({ event }) => event.message }) },
      },
    },
    failed: {
      entry: sendParent(({ context }) => ({ type: 'FILES.ERROR', message: context.error ?? 'disk error' }) satisfies FileManagerReport),
    },
  },
});
