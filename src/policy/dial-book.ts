import { parsePeerAddress, peerKey } from '../protocol/peer-address.js';

/**
 * The Client actor's memory of peers it may dial: candidates from every source, deduplicated by
 * address and capped, with an exponential back-off per address. Pure: time comes in as `now`, every
 * function returns a new book and leaves its argument untouched.
 *
 * Invariants (checked by `assertDialBook` in tests): every `dialing` key is a candidate; the
 * candidate count never exceeds `maxCandidates`. A key may be both `dialing` and `connected` only
 * while a dial races an incoming connection from the same address; the dial loses.
 */

export interface DialCandidate {
  /** `host:port`, or `[v6]:port`: the one spelling of an address used everywhere. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** Where we first heard of it: "tracker", "cli", "pex"… */
  readonly source: string;
  /** Failed dials since the last good connection. */
  readonly failures: number;
  /** Good connections that ended; spaces out re-dials of a peer that keeps dropping us. */
  readonly drops: number;
  /** Not dialled before this time (on the injected clock). */
  readonly retryAt: number;
  /** Never dialled again (too many failures, or the torrent said not to). */
  readonly gaveUp: boolean;
  /** Its MSE handshake failed and a plaintext dial then worked: dialled in plaintext from now on. */
  readonly plaintextOnly?: boolean;
}

export interface DialBook {
  /** In insertion order: the oldest candidates are dialled first. */
  readonly candidates: ReadonlyMap<string, DialCandidate>;
  /** Dials in flight (half-open connections). */
  readonly dialing: ReadonlySet<string>;
  /** Live connections in either direction, as the torrent reports them. */
  readonly connected: ReadonlySet<string>;
}

export interface DialBookOptions {
  maxCandidates: number;
  maxFailures: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_DIAL_BOOK_OPTIONS: DialBookOptions = {
  maxCandidates: 2000,
  maxFailures: 5,
  backoffBaseMs: 30_000,
  backoffMaxMs: 30 * 60_000,
};

export function emptyDialBook(): DialBook {
  return { candidates: new Map(), dialing: new Set(), connected: new Set() };
}

/** base, 2·base, 4·base … capped: the wait after the n-th failure (n ≥ 1). */
export function backoffDelay(n: number, options: Pick<DialBookOptions, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  const exponent = Math.min(Math.max(n, 1) - 1, 30);
  return Math.min(options.backoffBaseMs * 2 ** exponent, options.backoffMaxMs);
}

export interface AddResult {
  book: DialBook;
  added: number;
  /** Invalid, duplicate, or over the cap. */
  ignored: number;
}

/** Adds new candidates; known addresses (even given-up ones) are left as they are. */
export function addCandidates(
  book: DialBook,
  peers: readonly { host: string; port: number }[],
  source: string,
  now: number,
  options: DialBookOptions,
): AddResult {
  let candidates: Map<string, DialCandidate> | undefined;
  let added = 0;
  let ignored = 0;
  for (const peer of peers) {
    const key = peer && typeof peer === 'object' ? peerKey(peer.host, peer.port) : undefined;
    const current = candidates ?? book.candidates;
    if (!key || current.has(key)) {
      ignored++;
      continue;
    }
    candidates ??= new Map(book.candidates);
    if (candidates.size >= options.maxCandidates && !evictGivenUp(candidates)) {
      // Full of live prospects: the rest of this batch cannot fit either.
      ignored += peers.length - added - ignored;
      break;
    }
    const parsed = parsePeerAddress(key)!;
    candidates.set(key, {
      key,
      host: parsed.host,
      port: parsed.port,
      source,
      failures: 0,
      drops: 0,
      retryAt: now,
      gaveUp: false,
    });
    added++;
  }
  return { book: candidates ? { ...book, candidates } : book, added, ignored };
}

/** Makes room by forgetting the oldest given-up candidate; false if there is none. */
function evictGivenUp(candidates: Map<string, DialCandidate>): boolean {
  for (const [key, candidate] of candidates) {
    if (candidate.gaveUp) {
      candidates.delete(key);
      return true;
    }
  }
  return false;
}

function isDialable(book: DialBook, candidate: DialCandidate, now: number): boolean {
  return (
    !candidate.gaveUp &&
    candidate.retryAt <= now &&
    !book.dialing.has(candidate.key) &&
    !book.connected.has(candidate.key)
  );
}

/** How many more dials may start now. */
export function freeDialSlots(book: DialBook, limits: { maxPeers: number; maxHalfOpen: number }): number {
  const halfOpen = limits.maxHalfOpen - book.dialing.size;
  const peers = limits.maxPeers - book.connected.size - book.dialing.size;
  return Math.max(0, Math.min(halfOpen, peers));
}

/** Up to `slots` candidates to dial now, oldest first. */
export function pickDials(book: DialBook, now: number, slots: number): DialCandidate[] {
  const picked: DialCandidate[] = [];
  if (slots <= 0) return picked;
  for (const candidate of book.candidates.values()) {
    if (!isDialable(book, candidate, now)) continue;
    picked.push(candidate);
    if (picked.length >= slots) break;
  }
  return picked;
}

/** The earliest future time at which a backed-off candidate becomes dialable, if any. */
export function nextRetryAt(book: DialBook, now: number): number | undefined {
  let earliest: number | undefined;
  for (const c of book.candidates.values()) {
    if (c.gaveUp || c.retryAt <= now || book.dialing.has(c.key) || book.connected.has(c.key)) continue;
    if (earliest === undefined || c.retryAt < earliest) earliest = c.retryAt;
  }
  return earliest;
}

export function markDialing(book: DialBook, keys: readonly string[]): DialBook {
  if (keys.length === 0) return book;
  const dialing = new Set(book.dialing);
  for (const key of keys) if (book.candidates.has(key)) dialing.add(key);
  return { ...book, dialing };
}

/** A dial finished without a verdict on the peer (we paused or stopped): no penalty. */
export function dialAborted(book: DialBook, key: string): DialBook {
  if (!book.dialing.has(key)) return book;
  const dialing = new Set(book.dialing);
  dialing.delete(key);
  return { ...book, dialing };
}

/** `plaintextOnly`: the dial fell back from MSE to plaintext, so the next dials skip MSE. */
export function dialSucceeded(book: DialBook, key: string, plaintextOnly = false): DialBook {
  const dialing = new Set(book.dialing);
  dialing.delete(key);
  const connected = new Set(book.connected).add(key);
  const candidate = book.candidates.get(key);
  if (!candidate) return { ...book, dialing, connected };
  const candidates = new Map(book.candidates).set(key, { ...candidate, failures: 0, ...(plaintextOnly ? { plaintextOnly } : {}) });
  return { candidates, dialing, connected };
}

export interface FailureVerdict {
  book: DialBook;
  failures: number;
  gaveUp: boolean;
  /** When it may be dialled again (absent once given up). */
  retryAt?: number;
}

export function dialFailed(book: DialBook, key: string, now: number, options: DialBookOptions): FailureVerdict {
  const dialing = new Set(book.dialing);
  dialing.delete(key);
  const candidate = book.candidates.get(key);
  if (!candidate) return { book: { ...book, dialing }, failures: 0, gaveUp: true };
  const failures = candidate.failures + 1;
  const gaveUp = failures >= options.maxFailures;
  const retryAt = now + backoffDelay(failures, options);
  const candidates = new Map(book.candidates).set(key, { ...candidate, failures, retryAt, gaveUp });
  return { book: { ...book, candidates, dialing }, failures, gaveUp, ...(gaveUp ? {} : { retryAt }) };
}

/** A live connection (ours or incoming): never dial this address while it lasts. */
export function peerConnected(book: DialBook, key: string): DialBook {
  if (book.connected.has(key)) return book;
  return { ...book, connected: new Set(book.connected).add(key) };
}

/**
 * A live connection ended. A known candidate may be re-dialled after a back-off that grows with
 * each drop, unless `redial` is false (e.g. it was ourselves, or served another torrent).
 */
export function peerClosed(
  book: DialBook,
  key: string,
  now: number,
  redial: boolean,
  options: DialBookOptions,
): DialBook {
  let connected = book.connected;
  if (connected.has(key)) {
    const next = new Set(connected);
    next.delete(key);
    connected = next;
  }
  const candidate = book.candidates.get(key);
  if (!candidate) return connected === book.connected ? book : { ...book, connected };
  const drops = candidate.drops + 1;
  const updated: DialCandidate = redial
    ? { ...candidate, drops, retryAt: now + backoffDelay(drops, options) }
    : { ...candidate, drops, gaveUp: true };
  return { ...book, connected, candidates: new Map(book.candidates).set(key, updated) };
}

/** Throws if an invariant does not hold; for tests and debugging. */
export function assertDialBook(book: DialBook, options: DialBookOptions): void {
  if (book.candidates.size > options.maxCandidates) {
    throw new Error(`${book.candidates.size} candidates, more than the cap of ${options.maxCandidates}`);
  }
  for (const key of book.dialing) {
    if (!book.candidates.has(key)) throw new Error(`${key} is dialing but not a candidate`);
  }
}
