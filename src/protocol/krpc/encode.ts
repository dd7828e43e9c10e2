import { type Encodable, encode } from '../bencode/index.js';
import { encodeCompactNodes, encodeCompactPeer } from './compact.js';
import type { KrpcMessage, KrpcQuery, KrpcResponse } from './types.js';

/** Encodes one KRPC message (the inverse of decodeKrpc). */
export function encodeKrpc(message: KrpcMessage): Buffer {
  const top: Record<string, Encodable | undefined> = { t: message.t, y: message.y, v: message.version };
  if (message.y === 'q') {
    top.q = message.query.method === 'unknown' ? message.query.name : message.query.method;
    top.a = queryArguments(message.query);
    if (message.readOnly) top.ro = 1;
  } else if (message.y === 'r') {
    top.r = responseBody(message.response);
    if (message.ip) top.ip = encodeCompactPeer(message.ip);
  } else {
    top.e = [message.code, message.message];
  }
  return encode(top);
}

function queryArguments(query: KrpcQuery): Record<string, Encodable | undefined> {
  switch (query.method) {
    case 'ping':
    case 'unknown':
      return { id: query.id };
    case 'find_node':
      return { id: query.id, target: query.target };
    case 'get_peers':
      return { id: query.id, info_hash: query.infoHash };
    case 'announce_peer':
      return {
        id: query.id,
        info_hash: query.infoHash,
        port: query.port,
        implied_port: query.impliedPort ? 1 : undefined,
        token: query.token,
        seed: query.seed === undefined ? undefined : query.seed ? 1 : 0,
      };
  }
}

function responseBody(response: KrpcResponse): Record<string, Encodable | undefined> {
  return {
    id: response.id,
    nodes: response.nodes && encodeCompactNodes(response.nodes, 'IPv4'),
    nodes6: response.nodes6 && encodeCompactNodes(response.nodes6, 'IPv6'),
    values: response.values?.map(encodeCompactPeer),
    token: response.token,
  };
}
