import { Subject } from 'rxjs';
import type { PeerControl, PeerHandle } from '../../src/engine/peer-handle.js';
import type { PeerWire } from '../../src/engine/peer-wire.js';
import type { PeerMessage } from '../../src/protocol/wire/index.js';

export type Region = 'amChoking' | 'amInterested' | 'peerInterested' | 'peerChoking';

/**
 * A peer handle without a connection, for the engines and the Uploader: it records the commands
 * its Peer actor would receive, answers the flag queries the way the Peer machine's regions would,
 * and keeps what the engines send it; messages$ is the test's to drive.
 */
export class FakePeer {
  /** Commands received, as the Peer actor would get them. */
  readonly commands: string[] = [];
  readonly flags: Record<Region, string> = { amChoking: 'choking', amInterested: 'no', peerInterested: 'no', peerChoking: 'choking' };
  readonly sent: PeerMessage[] = [];
  readonly wire = {
    messages$: new Subject<PeerMessage>(),
    drain$: new Subject<void>(),
    closed: false,
    congested: false,
    /** As a TCP wire: sendBlock's onWritten is called (once the test calls the callbacks in `written`). */
    reportsWrites: false,
    written: [] as (() => void)[],
    send: (m: PeerMessage) => void this.sent.push(m),
    sendBlock: (index: number, begin: number, block: Buffer, onWritten?: () => void) => {
      this.sent.push({ type: 'piece', index, begin, block });
      if (onWritten) this.wire.written.push(onWritten);
      return true;
    },
  };
  readonly handle: PeerHandle;

  constructor(
    readonly key: string,
    public rates = { downloadRate: 0, uploadRate: 0 },
    fast = true,
  ) {
    const flags = this.flags;
    const commands = this.commands;
    const control: PeerControl = {
      get amChoking() {
        return flags.amChoking === 'choking';
      },
      get amInterested() {
        return flags.amInterested === 'yes';
      },
      get peerChoking() {
        return flags.peerChoking === 'choking';
      },
      get peerInterested() {
        return flags.peerInterested === 'yes';
      },
      command: (type) => {
        commands.push(type);
        if (type === 'CHOKE') flags.amChoking = 'choking';
        if (type === 'UNCHOKE') flags.amChoking = 'unchoked';
      },
      onChoke: () => ({ unsubscribe: () => undefined }),
      onAnnouncement: () => ({ unsubscribe: () => undefined }),
    };
    this.handle = { key, address: key, peerId: key, wire: this.wire as unknown as PeerWire, control, fast };
  }

  set interested(on: boolean) {
    this.flags.peerInterested = on ? 'yes' : 'no';
  }

  get unchoked(): boolean {
    return this.flags.amChoking === 'unchoked';
  }

  complete(): void {
    this.wire.messages$.complete();
    this.wire.drain$.complete();
  }

  /** Commands since the last call. */
  take(): string[] {
    return this.commands.splice(0, this.commands.length);
  }
}
