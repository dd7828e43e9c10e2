import { udpDatagramSocket } from './udp-socket.js';

/*
 * The network edge of the DHT: one UDP socket. The DHT actors see only this interface, so tests and
 * the simulator inject their own (src/sim/sim-udp.ts).
 */

export interface DhtDatagram {
  data: Buffer;
  host: string;
  port: number;
}

export interface DhtSocket {
  /** The address and port bound (the port is the one picked when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Sends one datagram; `host` may be a name (resolved by the system: bootstrap routers). Never throws. */
  send(data: Buffer, host: string, port: number): void;
  /** Every datagram received; returns the unsubscribe. */
  onDatagram(listener: (datagram: DhtDatagram) => void): () => void;
  /** Send and socket errors after opening; returns the unsubscribe. */
  onError(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

export interface DhtSocketOptions {
  /** Bind to this address; default every IPv4 address. */
  host?: string;
  port: number;
}

export type DhtSocketFactory = (options: DhtSocketOptions) => Promise<DhtSocket>;

/** A real UDP socket (node:dgram), IPv4 unless the bind address is IPv6: the one uTP uses too. */
export const udpDhtSocket: DhtSocketFactory = (options) => udpDatagramSocket(options);
