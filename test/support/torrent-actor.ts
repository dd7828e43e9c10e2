import { type AnyMachineSnapshot, createActor } from 'xstate';
import { type TorrentEmitted, type TorrentInput, torrentMachine } from '../../src/actors/torrent.js';

/** A started Torrent actor on a simulated clock, with what it emitted and its children's snapshots at hand. */
export function startTorrentActor(input: TorrentInput) {
  const actor = createActor(torrentMachine, { clock: input.clock, input });
  const emitted: TorrentEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const state = () => actor.getSnapshot();
  const child = (id: 'files' | 'downloader' | 'uploader' | 'client') => state().children[id]?.getSnapshot() as AnyMachineSnapshot | undefined;
  return { actor, emitted, state, child };
}
