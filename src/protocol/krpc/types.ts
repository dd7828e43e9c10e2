/**
 * KRPC (BEP 5) messages as typed values. Node ids, targets and infohashes are 20-byte Buffers;
 * addresses are plain host strings (IPv4 dotted, IPv6 as node writes them) with a port.
 */

export const NODE_ID_BYTES = 20;

/** A DHT node: its id and where it answers (compact node info). */
export interface NodeContact {
  id: Buffer;
  host: string;
  port: number;
}

/** A peer of a torrent (compact peer info in `values`). */
export interface PeerContact {
  host: string;
  port: number;
}

export type KrpcQuery =
  | { method: 'ping'; id: Buffer }
  | { method: 'find_node'; id: Buffer; target: Buffer }
  | { method: 'get_peers'; id: Buffer; infoHash: Buffer }
  | {
      method: 'announce_peer';
      id: Buffer;
      infoHash: Buffer;
      /** The port to record; ignored by the receiver when `impliedPort` (then the datagram's source port is used). */
      port: number;
      impliedPort: boolean;
      token: Buffer;
      /** BEP 33: the announcer is a seed. */
      seed?: boolean;
    }
  /** A method we do not know: answered with error 204. */
  | { method: 'unknown'; name: string; id: Buffer };

export type KrpcMethod = Exclude<KrpcQuery['method'], 'unknown'>;

/** A response's `r`: what it holds depends on the query it answers (the transaction says which). */
export interface KrpcResponse {
  id: Buffer;
  nodes?: NodeContact[];
  /** BEP 32. */
  nodes6?: NodeContact[];
  values?: PeerContact[];
  token?: Buffer;
}

export type KrpcMessage =
  | {
      y: 'q';
      t: Buffer;
      query: KrpcQuery;
      /** BEP 43: the sender is read-only (do not add it to a routing table). */
      readOnly?: boolean;
      version?: Buffer;
    }
  | {
      y: 'r';
      t: Buffer;
      response: KrpcResponse;
      /** BEP 42: the address the responder saw us at. */
      ip?: PeerContact;
      version?: Buffer;
    }
  | { y: 'e'; t: Buffer; code: number; message: string; version?: Buffer };
