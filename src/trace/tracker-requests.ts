import type { InspectionEvent } from 'xstate';

/**
 * A tracker server's requests, as trace records: the TrackerServer actor receives each HTTP request
 * and UDP datagram as an event, which its inspection shows. Announces are decoded to their fields
 * (infohash and peer id as hex); other requests keep their path or action.
 */
export function trackerRequestRecord(event: InspectionEvent): { [key: string]: unknown } | undefined {
  if (event.type !== '@xstate.event') return undefined;
  const e = event.event as { type?: string; request?: unknown; datagram?: unknown };
  if (e.type === 'HTTP.REQUEST') return httpRecord(e.request as { method: string; url: string; remoteAddress: string; remotePort: number });
  if (e.type === 'UDP.DATAGRAM') return udpRecord(e.datagram as { data: Buffer; address: string; port: number });
  return undefined;
}

const HTTP_FIELDS = ['event', 'port', 'uploaded', 'downloaded', 'left', 'numwant', 'compact'];

function httpRecord(request: { method: string; url: string; remoteAddress: string; remotePort: number }) {
  const [path = '', query = ''] = String(request.url).split('?', 2);
  const msg: { [key: string]: unknown } = { via: 'http', from: `${request.remoteAddress}:${request.remotePort}`, method: request.method, path: path.slice(0, 200) };
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = pair.split('=', 2);
    if (name === 'info_hash' || name === 'peer_id') msg[name === 'info_hash' ? 'infoHash' : 'peerId'] = percentBytes(value)?.toString('hex') ?? null;
    else if (HTTP_FIELDS.includes(name)) msg[name] = safeDecode(value).slice(0, 100);
  }
  return msg;
}

const UDP_ACTIONS = ['connect', 'announce', 'scrape', 'error'];
const UDP_EVENTS = ['none', 'completed', 'started', 'stopped'];

function udpRecord(datagram: { data: Buffer; address: string; port: number }) {
  const data = datagram.data;
  const msg: { [key: string]: unknown } = { via: 'udp', from: `${datagram.address}:${datagram.port}`, bytes: data.length };
  if (data.length < 16) return msg;
  const action = data.readUInt32BE(8);
  msg['action'] = UDP_ACTIONS[action] ?? action;
  if (action === 1 && data.length >= 98) {
    msg['infoHash'] = data.subarray(16, 36).toString('hex');
    msg['peerId'] = data.subarray(36, 56).toString('hex');
    msg['downloaded'] = Number(data.readBigUInt64BE(56));
    msg['left'] = Number(data.readBigUInt64BE(64));
    msg['uploaded'] = Number(data.readBigUInt64BE(72));
    const ev = data.readUInt32BE(80);
    msg['event'] = UDP_EVENTS[ev] ?? ev;
    msg['port'] = data.readUInt16BE(96);
  }
  return msg;
}

/** A percent-encoded binary value (`%12%AB…`, letters as themselves); undefined if malformed. */
function percentBytes(text: string): Buffer | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length && bytes.length <= 64; ) {
    if (text[i] === '%') {
      const byte = parseInt(text.slice(i + 1, i + 3), 16);
      if (Number.isNaN(byte)) return undefined;
      bytes.push(byte);
      i += 3;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
      i++;
    }
  }
  return Buffer.from(bytes);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
