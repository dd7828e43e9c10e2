import { type BDict, type BValue, BencodeError, decode, isBDict } from '../bencode/index.js';
import { decodeCompactNodes, decodeCompactPeer } from './compact.js';
import { KrpcError } from './errors.js';
import { type KrpcMessage, type KrpcQuery, type KrpcResponse, NODE_ID_BYTES, type PeerContact } from './types.js';

/**
 * Any datagram longer than this is not KRPC: refused before it is parsed. An honest message is a
 * few hundred bytes (8 nodes, or up to ~100 peers in `values`).
 */
export const MAX_KRPC_BYTES = 8192;
/** Transaction ids are short (2 bytes from us, libtorrent and bittorrent-dht); we echo at most this many. */
export const MAX_TRANSACTION_ID_BYTES = 32;
const MAX_TOKEN_BYTES = 64;
const MAX_METHOD_BYTES = 64;
const MAX_ERROR_MESSAGE_BYTES = 256;

/**
 * Decodes one KRPC message (BEP 5; BEP 32 `nodes6`, BEP 42 `ip`, BEP 43 `ro`). Strict bencode,
 * unknown keys ignored; any other fault is a KrpcError, which carries the transaction id when it
 * could be read (so a bad query can be answered with error 203).
 */
export function decodeKrpc(bytes: Uint8Array): KrpcMessage {
  if (bytes.length > MAX_KRPC_BYTES) throw new KrpcError('too-long', `a KRPC message of ${bytes.length} bytes (at most ${MAX_KRPC_BYTES})`);
  let value: BValue;
  try {
    value = decode(bytes, { mode: 'strict', maxDepth: 8 });
  } catch (err) {
    if (err instanceof BencodeError) throw new KrpcError('invalid-bencode', `not a KRPC message: ${err.message}`);
    throw err;
  }
  if (!isBDict(value)) throw new KrpcError('not-a-dict', 'a KRPC message is a dictionary');
  const t = value.t;
  if (!Buffer.isBuffer(t) || t.length === 0 || t.length > MAX_TRANSACTION_ID_BYTES) {
    throw new KrpcError('invalid-transaction-id', 'missing or invalid transaction id (t)');
  }
  const y = value.y;
  const type = Buffer.isBuffer(y) ? y.toString('latin1') : undefined;
  const version = Buffer.isBuffer(value.v) ? value.v : undefined;
  switch (type) {
    case 'q':
      return { y: 'q', t, query: decodeQuery(value, t), ...(value.ro === 1 ? { readOnly: true } : {}), ...(version ? { version } : {}) };
    case 'r':
      return { y: 'r', t, response: decodeResponse(value.r, t), ...optionalIp(value.ip, t), ...(version ? { version } : {}) };
    case 'e':
      return { y: 'e', t, ...decodeError(value.e, t), ...(version ? { version } : {}) };
    default:
      throw new KrpcError('invalid-type', 'y is not q, r or e', t);
  }
}

function decodeQuery(message: BDict, t: Buffer): KrpcQuery {
  const q = message.q;
  if (!Buffer.isBuffer(q) || q.length === 0 || q.length > MAX_METHOD_BYTES) throw new KrpcError('invalid-method', 'missing or invalid method (q)', t, true);
  const args = message.a;
  if (!isBDict(args)) throw new KrpcError('invalid-argument', 'missing arguments (a)', t, true);
  const fail = (what: string) => new KrpcError('invalid-argument', `${q.toString('latin1')}: ${what}`, t, true);
  const id = hash(args.id, () => fail('id is not 20 bytes'));
  const method = q.toString('latin1');
  switch (method) {
    case 'ping':
      return { method, id };
    case 'find_node':
      return { method, id, target: hash(args.target, () => fail('target is not 20 bytes')) };
    case 'get_peers':
      return { method, id, infoHash: hash(args.info_hash, () => fail('info_hash is not 20 bytes')) };
    case 'announce_peer': {
      const infoHash = hash(args.info_hash, () => fail('info_hash is not 20 bytes'));
      const implied = args.implied_port;
      if (implied !== undefined && typeof implied !== 'number') throw fail('implied_port is not an integer');
      const impliedPort = implied !== undefined && implied !== 0;
      const port = args.port;
      if (port !== undefined && (typeof port !== 'number' || port < 0 || port > 0xffff)) throw fail('port is not a port number');
      if (!impliedPort && (port === undefined || port === 0)) throw fail('port is missing');
      const token = args.token;
      if (!Buffer.isBuffer(token) || token.length === 0 || token.length > MAX_TOKEN_BYTES) throw fail('missing or invalid token');
      const seed = args.seed;
      return { method, id, infoHash, port: port ?? 0, impliedPort, token, ...(typeof seed === 'number' ? { seed: seed !== 0 } : {}) };
    }
    default:
      return { method: 'unknown', name: method, id };
  }
}

function decodeResponse(r: BValue | undefined, t: Buffer): KrpcResponse {
  if (!isBDict(r)) throw new KrpcError('invalid-response', 'missing response dictionary (r)', t);
  const id = hash(r.id, () => new KrpcError('invalid-response', 'response id is not 20 bytes', t));
  const response: KrpcResponse = { id };
  try {
    if (r.nodes !== undefined) response.nodes = decodeCompactNodes(bytes(r.nodes, 'nodes'), 'IPv4');
    if (r.nodes6 !== undefined) response.nodes6 = decodeCompactNodes(bytes(r.nodes6, 'nodes6'), 'IPv6');
    if (r.values !== undefined) {
      if (!Array.isArray(r.values)) throw new KrpcError('invalid-response', 'values is not a list');
      response.values = r.values.map((v) => decodeCompactPeer(bytes(v, 'a value')));
    }
    if (r.token !== undefined) {
      const token = bytes(r.token, 'token');
      if (token.length > MAX_TOKEN_BYTES) throw new KrpcError('invalid-response', `a token of ${token.length} bytes`);
      response.token = token;
    }
  } catch (err) {
    // Same error, with the transaction id it belongs to.
    if (err instanceof KrpcError && err.transactionId === undefined) throw new KrpcError(err.code, err.message, t);
    throw err;
  }
  return response;
}

function optionalIp(ip: BValue | undefined, t: Buffer): { ip?: PeerContact } {
  if (ip === undefined) return {};
  if (!Buffer.isBuffer(ip) || (ip.length !== 6 && ip.length !== 18)) throw new KrpcError('invalid-response', 'ip is not a compact address', t);
  return { ip: decodeCompactPeer(ip) };
}

function decodeError(e: BValue | undefined, t: Buffer): { code: number; message: string } {
  if (!Array.isArray(e) || e.length < 2 || typeof e[0] !== 'number' || !Buffer.isBuffer(e[1])) {
    throw new KrpcError('invalid-error', 'an error is a list [code, message]', t);
  }
  return { code: e[0], message: e[1].subarray(0, MAX_ERROR_MESSAGE_BYTES).toString('utf8') };
}

function hash(value: BValue | undefined, fail: () => KrpcError): Buffer {
  if (!Buffer.isBuffer(value) || value.length !== NODE_ID_BYTES) throw fail();
  return value;
}

function bytes(value: BValue | undefined, what: string): Buffer {
  if (!Buffer.isBuffer(value)) throw new KrpcError('invalid-response', `${what} is not a byte string`);
  return value;
}
