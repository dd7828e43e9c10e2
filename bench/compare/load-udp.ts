// UDP tracker load (BEP 15): a connect per socket, then a window of announces in flight; a
// datagram unanswered for 1 s is lost and replaced.
import dgram from 'node:dgram';
import { type Worker, meter } from './load-meter.js';
import { PEERS, infoHash, left, peerId, peerPort } from './tracker-traffic.js';

const WINDOW = 64; // per socket
const SWEEP_MS = 200;
/** Sweeps a datagram stays unanswered before it counts as lost: about 1 s. */
const LOSS_TICKS = 5;
const ANNOUNCE_BYTES = 98;
/** The connect's transaction id: no announce uses it (theirs are peer numbers). */
const CONNECT_TID = 0xffffffff;

/**
 * Every peer's announce for one socket (its connection id), in one slab, built before the clock
 * runs. The transaction id is the peer's number: with 256 in flight and 50,000 peers in turn, no
 * two in flight share one.
 */
function announces(connectionId: Buffer): Buffer[] {
  const slab = Buffer.alloc(PEERS * ANNOUNCE_BYTES);
  const packets: Buffer[] = [];
  for (let peer = 0; peer < PEERS; peer++) {
    const b = slab.subarray(peer * ANNOUNCE_BYTES, (peer + 1) * ANNOUNCE_BYTES);
    connectionId.copy(b, 0);
    b.writeUInt32BE(1, 8);
    b.writeUInt32BE(peer, 12);
    infoHash(peer).copy(b, 16);
    peerId(peer).copy(b, 36);
    b.writeBigUInt64BE(BigInt(left(peer)), 64);
    b.writeUInt32BE(0, 80); // event none: a regular announce
    b.writeUInt32BE(peer, 88); // key
    b.writeInt32BE(50, 92);
    b.writeUInt16BE(peerPort(peer), 96);
    packets.push(b);
  }
  return packets;
}

export async function udpWorker(port: number): Promise<Worker> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  // A connected socket: no address to resolve on each send.
  await new Promise<void>((r) => socket.connect(port, '127.0.0.1', r));
  // In flight: transaction id (the peer number) → the loss sweep's tick when it was sent. A tick
  // instead of a clock read per packet: a datagram counts as lost after 1 to 1.2 s.
  const pending = new Map<number, number>();
  let tick = 0;
  let packets: Buffer[] = [];
  let connectionId: Buffer | undefined;
  let connected: () => void = () => undefined;
  const send = () => {
    if (meter.over) return;
    const peer = meter.takePeer();
    pending.set(peer, tick);
    socket.send(packets[peer]!);
  };
  socket.on('message', (msg) => {
    if (msg.length < 8) return;
    const action = msg.readUInt32BE(0);
    const id = msg.readUInt32BE(4);
    if (action === 0 && id === CONNECT_TID && msg.length >= 16) {
      connectionId = Buffer.from(msg.subarray(8, 16));
      return connected();
    }
    if (!pending.delete(id)) return;
    if (action === 1) meter.ok();
    else meter.fail(() => `UDP action ${action}: ${msg.subarray(8).toString('latin1').slice(0, 120)}`);
    send();
  });
  socket.on('error', () => undefined); // a refused datagram (nothing listening) shows as lost
  for (let attempt = 0; attempt < 5 && !connectionId; attempt++) {
    const connect = Buffer.alloc(16);
    connect.writeBigUInt64BE(0x41727101980n, 0); // then action 0
    connect.writeUInt32BE(CONNECT_TID, 12);
    socket.send(connect);
    await new Promise<void>((r) => {
      connected = r;
      setTimeout(r, 1000);
    });
  }
  if (!connectionId) throw new Error('the tracker did not answer the UDP connect');
  packets = announces(connectionId);
  return {
    async run() {
      const sweep = setInterval(() => {
        tick++;
        for (const [id, sentAt] of pending) {
          if (tick - sentAt <= LOSS_TICKS) continue;
          pending.delete(id);
          meter.fail();
          send();
        }
      }, SWEEP_MS);
      for (let i = 0; i < WINDOW; i++) send();
      await meter.untilOver();
      clearInterval(sweep);
      socket.close();
    },
  };
}
