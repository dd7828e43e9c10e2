import dgram from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { parseIPv4, parseIPv6 } from '../protocol/tracker/address.js';
import { LSD_GROUP_V4, LSD_GROUP_V6, LSD_PORT, type LsdFamily } from '../protocol/lsd.js';
import { messageOf } from '../util/message-of.js';

/*
 * The network edge of Local Service Discovery: UDP sockets joined to the BEP 14 multicast groups.
 * The LSD actor sees only this interface, so tests and the simulator inject their own.
 */

export interface LsdDatagram {
  data: Buffer;
  /** The sender's address: with the announce's Port, where the peer listens. */
  address: string;
  family: LsdFamily;
}

export interface LsdSocket {
  /** The groups joined: IPv4, IPv6 or both. */
  readonly families: readonly LsdFamily[];
  /** What could not be set up without stopping LSD (no IPv6 multicast here…). */
  readonly warnings: readonly string[];
  /** Sends one datagram to the family's group. */
  send(family: LsdFamily, data: Buffer): Promise<void>;
  /** Every datagram heard on the groups (our own included, when looped back); returns the unsubscribe. */
  onDatagram(listener: (datagram: LsdDatagram) => void): () => void;
  /** Errors after opening (sends report theirs by rejecting); returns the unsubscribe. */
  onError(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

export interface LsdSocketOptions {
  /**
   * The local address whose interface LSD runs on (the session's `host`): joins, sends and hears
   * only there. Undefined or a wildcard: the interface the kernel picks for multicast.
   */
  interfaceAddress?: string;
  /** Default 6771 (tests may use another, to keep clear of real LSD traffic). */
  port?: number;
}

/** Opens the sockets; rejects when no group at all could be joined. */
export type LsdSocketFactory = (options: LsdSocketOptions) => Promise<LsdSocket>;

interface Membership {
  family: LsdFamily;
  socket: dgram.Socket;
  group: string;
}

/** The real sockets (node:dgram): SO_REUSEADDR, TTL 1 (this link only), loopback on. */
export const udpLsdSocket: LsdSocketFactory = async (options) => {
  const port = options.port ?? LSD_PORT;
  const address = options.interfaceAddress;
  const specific = address !== undefined && address !== '0.0.0.0' && address !== '::';
  const bound = specific ? findInterface(address) : undefined;
  if (specific && !bound) throw new Error(`no network interface has the address ${address}`);
  const memberships: Membership[] = [];
  const warnings: string[] = [];
  if (!bound || bound.info.family === 'IPv4') {
    await join('IPv4', port, bound?.info.address).then(
      (m) => memberships.push(m),
      (err: unknown) => warnings.push(`IPv4 group ${LSD_GROUP_V4}: ${messageOf(err)}`),
    );
  }
  // IPv6 too, on the same interface (the scope names it); harmless if it fails. Not on loopback,
  // where IPv4 already reaches every local peer.
  if (!bound?.info.internal) {
    await join('IPv6', port, bound ? `::%${bound.name}` : undefined).then(
      (m) => memberships.push(m),
      (err: unknown) => warnings.push(`IPv6 group ${LSD_GROUP_V6}: ${messageOf(err)}`),
    );
  }
  if (memberships.length === 0) throw new Error(`cannot join a local service discovery group: ${warnings.join('; ')}`);
  const accepts = bound ? onInterface(bound.name) : () => true;
  // An unheard 'error' would crash the process: they are reported through onError.
  for (const m of memberships) m.socket.on('error', () => undefined);
  return {
    families: memberships.map((m) => m.family),
    warnings,
    send: (family, data) => {
      const m = memberships.find((x) => x.family === family);
      if (!m) return Promise.reject(new Error(`no ${family} group joined`));
      return new Promise((resolve, reject) => m.socket.send(data, port, m.group, (err) => (err ? reject(err) : resolve())));
    },
    onDatagram: (listener) => {
      const handlers = memberships.map((m) => {
        const handler = (data: Buffer, remote: dgram.RemoteInfo) => {
          if (accepts(remote.address)) listener({ data, address: remote.address, family: m.family });
        };
        m.socket.on('message', handler);
        return () => m.socket.off('message', handler);
      });
      return () => handlers.forEach((off) => off());
    },
    onError: (listener) => {
      for (const m of memberships) m.socket.on('error', listener);
      return () => memberships.forEach((m) => m.socket.off('error', listener));
    },
    close: async () => {
      await Promise.all(memberships.map((m) => new Promise<void>((resolve) => m.socket.close(() => resolve()))));
    },
  };
};

/** One socket bound to the group's port on every address, joined to the group. */
async function join(family: LsdFamily, port: number, interfaceAddress: string | undefined): Promise<Membership> {
  const v4 = family === 'IPv4';
  const group = v4 ? LSD_GROUP_V4 : LSD_GROUP_V6;
  const socket = dgram.createSocket({ type: v4 ? 'udp4' : 'udp6', reuseAddr: true, ipv6Only: !v4 });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: v4 ? '0.0.0.0' : '::', exclusive: false }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.addMembership(group, interfaceAddress);
    if (interfaceAddress !== undefined) socket.setMulticastInterface(interfaceAddress);
    socket.setMulticastTTL(1); // BEP 14 allows more; one hop keeps announces on this link
    socket.setMulticastLoopback(true); // two peers on one host hear each other
    return { family, socket, group };
  } catch (err) {
    socket.close();
    throw err;
  }
}

function findInterface(address: string): { name: string; info: NetworkInterfaceInfo } | undefined {
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    const info = infos?.find((i) => i.address === address);
    if (info) return { name, info };
  }
  return undefined;
}

/**
 * Sources on one of the interface's subnets, or IPv6 link-local ones (the IPv6 group was joined on
 * that interface only). A socket bound to the wildcard also hears groups that other sockets joined
 * on other interfaces: those are not ours.
 */
function onInterface(name: string): (address: string) => boolean {
  const subnets = (networkInterfaces()[name] ?? []).map((info) => ({ family: info.family, network: maskedBytes(info.address, info.netmask), netmask: info.netmask }));
  return (address) => {
    if (isIPv6(address) && /^fe[89ab][0-9a-f]:/i.test(address)) return true;
    return subnets.some((s) => (s.family === 'IPv4' ? isIPv4(address) : isIPv6(address)) && equalBytes(maskedBytes(address, s.netmask), s.network));
  };
}

/** An address ANDed with a netmask, as bytes (empty when either does not parse). */
function maskedBytes(address: string, netmask: string): number[] {
  const a = addressBytes(address);
  const m = addressBytes(netmask);
  return a && m && a.length === m.length ? m.map((byte, i) => byte & a[i]!) : [];
}

function equalBytes(a: number[], b: number[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function addressBytes(address: string): number[] | undefined {
  const bytes = parseIPv4(address) ?? parseIPv6(address.split('%')[0]!);
  return bytes && [...bytes];
}
