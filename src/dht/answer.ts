import { KRPC_ERROR, type KrpcMessage, type KrpcQuery, type NodeContact, type PeerContact } from '../protocol/krpc/index.js';
import type { PeerStore } from './peer-store.js';
import type { RoutingTable } from './routing-table.js';
import { type TokenSecrets, issueToken, tokenValid } from './tokens.js';

/*
 * How a node answers a query (BEP 5), as a function of its state: ping → our id; find_node → the
 * 8 closest nodes we know; get_peers → a write token and the peers announced for the infohash (if
 * any) and the closest nodes; announce_peer → stored if the token is one we gave that address,
 * else error 203; any other method → error 204. The only state it changes is the peer store.
 */

export interface AnswerContext {
  self: Buffer;
  table: RoutingTable;
  store: PeerStore;
  secrets: TokenSecrets;
  now: number;
  /** Nodes in a find_node / get_peers answer. */
  k: number;
}

export type Answer =
  | { reply: KrpcMessage; announced?: { infoHash: string; peer: PeerContact } }
  | { reply: KrpcMessage; refused: 'bad-token' | 'unknown-method' };

export function answerQuery(query: KrpcQuery, t: Buffer, from: PeerContact, context: AnswerContext): Answer {
  const { self, table, store, secrets, now, k } = context;
  const ip = { host: from.host, port: from.port };
  const respond = (body: Omit<Extract<KrpcMessage, { y: 'r' }>['response'], 'id'>): KrpcMessage => ({ y: 'r', t, response: { id: self, ...body }, ip });
  const closest = (target: Buffer): NodeContact[] => table.closest(target, k, now).map(({ id, host, port }) => ({ id, host, port }));
  switch (query.method) {
    case 'ping':
      return { reply: respond({}) };
    case 'find_node':
      return { reply: respond({ nodes: closest(query.target) }) };
    case 'get_peers': {
      const values = store.peers(query.infoHash.toString('hex'), now);
      return { reply: respond({ token: issueToken(secrets, from.host), nodes: closest(query.infoHash), ...(values.length ? { values } : {}) }) };
    }
    case 'announce_peer': {
      if (!tokenValid(secrets, from.host, query.token)) {
        return { reply: { y: 'e', t, code: KRPC_ERROR.protocol, message: 'invalid token' }, refused: 'bad-token' };
      }
      const peer = { host: from.host, port: query.impliedPort ? from.port : query.port };
      const infoHash = query.infoHash.toString('hex');
      store.announce(infoHash, peer, query.seed ?? false, now);
      return { reply: respond({}), announced: { infoHash, peer } };
    }
    case 'unknown':
      return { reply: { y: 'e', t, code: KRPC_ERROR.methodUnknown, message: 'method unknown' }, refused: 'unknown-method' };
  }
}
