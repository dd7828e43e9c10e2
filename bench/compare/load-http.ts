// HTTP tracker load: raw keep-alive connections, one request at a time each. A server that
// closes after each answer (opentracker) is reconnected, every connection counted.
import net from 'node:net';
import { type Worker, meter } from './load-meter.js';
import { PEERS, infoHash, left, peerId, peerPort } from './tracker-traffic.js';

const HEADER_END = Buffer.from('\r\n\r\n');
const INTERVAL = Buffer.from('8:interval');
const FAILURE = Buffer.from('failure reason');

function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += `%${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** Every peer's request, built before the clock runs. */
function requests(port: number): Buffer[] {
  return Array.from({ length: PEERS }, (_, peer) => {
    const query =
      `info_hash=${percentEncode(infoHash(peer))}&peer_id=${percentEncode(peerId(peer))}&port=${peerPort(peer)}` +
      `&uploaded=0&downloaded=0&left=${left(peer)}&compact=1&numwant=50&key=${peer}`;
    return Buffer.from(`GET /announce?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: actorrent-bench\r\n\r\n`, 'latin1');
  });
}

export function httpWorkers(port: number, count: number): Worker[] {
  const load = new HttpLoad(port);
  return Array.from({ length: count }, () => ({
    async run() {
      while (!meter.over) await load.connection();
    },
  }));
}

class HttpLoad {
  private readonly requests: Buffer[];
  /**
   * Learnt from the first connection the server ends after one answer without saying so: from
   * then on we close after each answer instead of sending a request it would drop.
   */
  private serverCloses = false;

  constructor(private readonly port: number) {
    this.requests = requests(port);
  }

  /** One connection, carrying requests one at a time until it is closed. */
  connection(): Promise<void> {
    meter.connections++;
    return new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true });
      let buffer: Buffer = Buffer.alloc(0);
      let expected: number | undefined; // body length, once the headers are in
      let bodyAt = 0;
      let status = 0;
      let closes = false;
      let inFlight = false;
      let served = 0;
      let ended = false;
      const ask = () => {
        if (ended || meter.over) return socket.end();
        inFlight = true;
        socket.write(this.requests[meter.takePeer()]!);
      };
      const answered = (body: Buffer) => {
        inFlight = false;
        served++;
        if (status === 200 && body.includes(INTERVAL) && !body.includes(FAILURE)) meter.ok();
        else meter.fail(() => `HTTP ${status}: ${body.toString('latin1').slice(0, 120)}`);
        buffer = buffer.subarray(bodyAt + (expected ?? body.length));
        expected = undefined;
        if (closes || this.serverCloses) socket.end();
        else ask();
      };
      socket.on('connect', ask);
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        if (expected === undefined) {
          const end = buffer.indexOf(HEADER_END);
          if (end < 0) return;
          const head = buffer.subarray(0, end).toString('latin1');
          status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          closes = /\r\nconnection:\s*close/i.test(head) || (head.startsWith('HTTP/1.0') && !/\r\nconnection:\s*keep-alive/i.test(head));
          bodyAt = end + 4;
          expected = length ? Number(length[1]) : Infinity; // no length: the body ends with the connection
        }
        if (buffer.length - bodyAt >= expected) answered(buffer.subarray(bodyAt, bodyAt + expected));
      });
      socket.on('end', () => {
        ended = true;
        if (served === 1 && !closes) this.serverCloses = true;
      });
      socket.on('close', () => {
        if (inFlight && expected === Infinity) answered(buffer.subarray(bodyAt));
        // The request sent as the server closed a kept-alive connection is not its failure, as
        // for any keep-alive client. Else the answer never came.
        else if (inFlight && !(served > 0 && buffer.length === 0)) meter.fail(() => 'connection closed before an answer');
        resolve();
      });
      socket.on('error', () => undefined); // 'close' follows
    });
  }
}
