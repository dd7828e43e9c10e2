import type { PexPeer } from '../protocol/extension/ut-pex.js';
import { PEX_FLAGS } from '../protocol/extension/ut-pex.js';
import { peerKey } from '../protocol/peer-address.js';

/**
 * BEP 11 peer exchange decisions, pure (time comes in as `now`, every function returns new state).
 *
 * Outbound, per peer we exchange with: what we last told it (the peers it believes we are connected
 * to) and when it may hear from us again. Each message is the diff between that and our live peers,
 * at most 50 added and 50 dropped (the rest waits for the next one), at least a minute apart. The
 * first message goes out a few seconds after the peer's handshake; until it has something to say we
 * look again every few seconds, so a new peer hears of the others without waiting a minute.
 *
 * Inbound, a PEX source is untrusted (BEP 11, security considerations): entries that cannot be
 * dialled, duplicates, more than a few ports of one host, ourselves and (once we are a seed) other
 * seeds are dropped; then each source host spends from its own token bucket and all sources from a
 * shared one, so a flood of bogus entries reaches the dial book at a trickle, whatever the number of
 * messages or connections it comes from. The dial book has its own cap besides.
 */

/** A peer as PEX carries it: its canonical `host:port` key, where to dial it, and its flags. */
export interface PexContact {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly flags: number;
}

export interface PexScheduleOptions {
  /** BEP 11: no more than one message a minute. */
  intervalMs: number;
  /** After the peer's extension handshake, before the first message. */
  firstDelayMs: number;
  /** Until the first message is sent, how often to look again when there was nothing to say. */
  firstRetryMs: number;
  /** BEP 11: at most 50 added and 50 dropped per message. */
  maxAdded: number;
  maxDropped: number;
}

export const DEFAULT_PEX_SCHEDULE: PexScheduleOptions = {
  intervalMs: 60_000,
  firstDelayMs: 2_000,
  firstRetryMs: 5_000,
  maxAdded: 50,
  maxDropped: 50,
};

/** What one peer has heard from us. */
export interface PexOutbox {
  /** Peers we told it about and have not dropped since, by key. */
  readonly told: ReadonlyMap<string, PexContact>;
  readonly messagesSent: number;
  /** Not looked at before this time. */
  readonly nextAt: number;
}

export function newOutbox(now: number, options: PexScheduleOptions = DEFAULT_PEX_SCHEDULE): PexOutbox {
  return { told: new Map(), messagesSent: 0, nextAt: now + options.firstDelayMs };
}

export interface PexDiff {
  readonly added: readonly PexContact[];
  readonly dropped: readonly PexContact[];
}

/**
 * The message due for a peer (undefined when there is nothing new to say) and its outbox after it.
 * `live` is what we could advertise to this peer now: our connected peers, the recipient itself
 * already left out. Added peers keep `live`'s order (oldest connection first).
 */
export function nextPexMessage(
  outbox: PexOutbox,
  live: readonly PexContact[],
  now: number,
  options: PexScheduleOptions = DEFAULT_PEX_SCHEDULE,
): { outbox: PexOutbox; message?: PexDiff } {
  const current = new Map<string, PexContact>();
  for (const contact of live) if (!current.has(contact.key)) current.set(contact.key, contact);
  const added: PexContact[] = [];
  for (const [key, contact] of current) {
    if (added.length >= options.maxAdded) break;
    if (!outbox.told.has(key)) added.push(contact);
  }
  const dropped: PexContact[] = [];
  for (const [key, contact] of outbox.told) {
    if (dropped.length >= options.maxDropped) break;
    if (!current.has(key)) dropped.push(contact);
  }
  if (added.length === 0 && dropped.length === 0) {
    const wait = outbox.messagesSent === 0 ? options.firstRetryMs : options.intervalMs;
    return { outbox: { ...outbox, nextAt: now + wait } };
  }
  const told = new Map(outbox.told);
  for (const contact of dropped) told.delete(contact.key);
  for (const contact of added) told.set(contact.key, contact);
  return {
    outbox: { told, messagesSent: outbox.messagesSent + 1, nextAt: now + options.intervalMs },
    message: { added, dropped },
  };
}

// ---- inbound ----

export interface PexIntakeOptions {
  /** Entries taken from one message (libtorrent's first message holds up to 100). */
  maxPerMessage: number;
  /** Ports of one host taken from one message (loopback swarms put every peer on one address). */
  maxPerHost: number;
  /** Each source host: a burst of `sourceBurst` entries, then `sourcePerMinute`. */
  sourceBurst: number;
  sourcePerMinute: number;
  /** All sources together. */
  totalBurst: number;
  totalPerMinute: number;
  /** Source buckets remembered; full ones (as good as new) are forgotten first. */
  maxSources: number;
}

export const DEFAULT_PEX_INTAKE: PexIntakeOptions = {
  maxPerMessage: 100,
  maxPerHost: 4,
  sourceBurst: 100,
  sourcePerMinute: 50,
  totalBurst: 400,
  totalPerMinute: 200,
  maxSources: 1024,
};

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export interface PexIntake {
  readonly sources: ReadonlyMap<string, Bucket>;
  readonly total: Bucket;
}

export function newIntake(now: number, options: PexIntakeOptions = DEFAULT_PEX_INTAKE): PexIntake {
  return { sources: new Map(), total: { tokens: options.totalBurst, at: now } };
}

export interface IntakeContext {
  /** The host the message came from: the unit of the per-source limit. */
  source: string;
  /** Keys of our own listening address(es), as the source sees us: never dialled. */
  self?: readonly string[];
  /** We have every piece: seeds are of no use to us. */
  weAreSeed?: boolean;
}

export interface IntakeResult {
  intake: PexIntake;
  /** To hand to the dial book, reachable peers first. */
  accepted: PexContact[];
  /** Unusable, duplicate, over a per-message cap, or over a budget. */
  refused: number;
}

/** Which of the peers a PEX message added we pass on to the dial book, and the budgets after it. */
export function takePexPeers(
  intake: PexIntake,
  peers: readonly PexPeer[],
  now: number,
  context: IntakeContext,
  options: PexIntakeOptions = DEFAULT_PEX_INTAKE,
): IntakeResult {
  const self = new Set(context.self ?? []);
  const seen = new Set<string>();
  const perHost = new Map<string, number>();
  const usable: PexContact[] = [];
  for (const peer of peers) {
    if (usable.length >= options.maxPerMessage) break;
    const key = peerKey(peer.host, peer.port);
    if (!key || seen.has(key) || self.has(key)) continue;
    if (context.weAreSeed && peer.flags & PEX_FLAGS.seed) continue;
    seen.add(key);
    const host = key.slice(0, key.lastIndexOf(':'));
    const ports = perHost.get(host) ?? 0;
    if (ports >= options.maxPerHost) continue;
    perHost.set(host, ports + 1);
    usable.push({ key, host: host.startsWith('[') ? host.slice(1, -1) : host, port: peer.port, flags: peer.flags });
  }
  const source = refill(intake.sources.get(context.source) ?? { tokens: options.sourceBurst, at: now }, now, options.sourceBurst, options.sourcePerMinute);
  const total = refill(intake.total, now, options.totalBurst, options.totalPerMinute);
  const budget = Math.floor(Math.min(source.tokens, total.tokens));
  // Peers the sender dialled itself are known to be reachable: they go first.
  const ordered = [...usable.filter((c) => c.flags & PEX_FLAGS.reachable), ...usable.filter((c) => !(c.flags & PEX_FLAGS.reachable))];
  const accepted = ordered.slice(0, budget);
  const sources = new Map(intake.sources);
  sources.delete(context.source);
  sources.set(context.source, { tokens: source.tokens - accepted.length, at: now });
  forgetSources(sources, now, options);
  return {
    intake: { sources, total: { tokens: total.tokens - accepted.length, at: now } },
    accepted,
    refused: peers.length - accepted.length,
  };
}

function refill(bucket: Bucket, now: number, burst: number, perMinute: number): Bucket {
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(burst, bucket.tokens + (elapsed * perMinute) / 60_000), at: now };
}

/** Keeps the source map bounded: full buckets first (forgetting them changes nothing), then the least recently used. */
function forgetSources(sources: Map<string, Bucket>, now: number, options: PexIntakeOptions): void {
  if (sources.size <= options.maxSources) return;
  for (const [host, bucket] of sources) {
    if (refill(bucket, now, options.sourceBurst, options.sourcePerMinute).tokens >= options.sourceBurst) sources.delete(host);
  }
  for (const host of sources.keys()) {
    if (sources.size <= options.maxSources) break;
    sources.delete(host);
  }
}

// ---- what we advertise ----

export interface LivePeer {
  /** `host:port` of the socket (for an outgoing connection, the address we dialled). */
  readonly address: string;
  readonly direction: 'incoming' | 'outgoing';
}

export interface PeerTraits {
  /** `p` from its extension handshake: where an incoming peer listens. */
  listenPort?: number;
  preferEncryption?: boolean;
  uploadOnly?: boolean;
  holepunch?: boolean;
  /** It has every piece. */
  seed?: boolean;
  /** The connection runs over uTP. */
  utp?: boolean;
}

/**
 * A connected peer as a PEX entry: the address we dialled (reachable), or for an incoming peer its
 * IP and the port it listens on, which only its extension handshake tells (without it: undefined,
 * the peer is not advertised, since its socket's port is an ephemeral one nobody can dial).
 */
export function liveContact(peer: LivePeer, traits: PeerTraits): PexContact | undefined {
  const colon = peer.address.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const rawHost = peer.address.slice(0, colon);
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const port = peer.direction === 'outgoing' ? Number(peer.address.slice(colon + 1)) : traits.listenPort;
  if (port === undefined) return undefined;
  const key = peerKey(host, port);
  if (!key) return undefined;
  let flags = 0;
  if (peer.direction === 'outgoing') flags |= PEX_FLAGS.reachable;
  if (traits.seed || traits.uploadOnly) flags |= PEX_FLAGS.seed;
  if (traits.preferEncryption) flags |= PEX_FLAGS.encryption;
  if (traits.holepunch) flags |= PEX_FLAGS.holepunch;
  if (traits.utp) flags |= PEX_FLAGS.utp;
  const keyHost = key.slice(0, key.lastIndexOf(':'));
  return { key, host: keyHost.startsWith('[') ? keyHost.slice(1, -1) : keyHost, port, flags };
}
