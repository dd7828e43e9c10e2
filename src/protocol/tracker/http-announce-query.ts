import { TrackerError } from './errors.js';
import { hexValue, percentDecode } from './query.js';
import { ANNOUNCE_EVENTS, type AnnounceEvent } from './types.js';

/** An HTTP announce as a tracker receives it. */
export interface HttpAnnounceRequest {
  infoHash: Buffer;
  peerId: Buffer;
  /** 0..65535; 0 (not connectable) is the server's to judge. */
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event?: AnnounceEvent;
  /** Undefined when the client did not say; BEP 23 suggests compact by default. */
  compact?: boolean;
  noPeerId?: boolean;
  numwant?: number;
  key?: Buffer;
  trackerId?: Buffer;
  /** The `ip` parameter as sent (BEP 3); whether to trust it is the server's decision. */
  ip?: string;
}

/** The known parameters; a value's place in `PARAMS` is its index in the scratch arrays below. */
const PARAMS = [
  'info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'event', 'compact', 'no_peer_id', 'numwant', 'key', 'trackerid', 'ip',
] as const;
type AnnounceParam = (typeof PARAMS)[number];
const param = (name: AnnounceParam) => PARAMS.indexOf(name);
const INFO_HASH = param('info_hash');
const PEER_ID = param('peer_id');
const PORT = param('port');
const UPLOADED = param('uploaded');
const DOWNLOADED = param('downloaded');
const LEFT = param('left');
const EVENT = param('event');
const COMPACT = param('compact');
const NO_PEER_ID = param('no_peer_id');
const NUMWANT = param('numwant');
const KEY = param('key');
const TRACKER_ID = param('trackerid');
const IP = param('ip');

/*
 * Where each known parameter's raw value lies in the query: [valueFrom, valueTo), from -1 when absent.
 * One pair of arrays for every call (the parser is synchronous and never re-entered): a tracker
 * parses tens of thousands of announces a second, and a Map and a slice per parameter were most of
 * what each one allocated.
 */
const valueFrom = new Int32Array(PARAMS.length);
const valueTo = new Int32Array(PARAMS.length);

/**
 * Parses the raw query of an announce request (the part after `?`, as it came off the request line).
 * Every known parameter may appear once; unknown ones (supportcrypto, corrupt, redundant, …) are ignored,
 * though their escapes must be well formed. One pass over the text finds the values, left in place;
 * only the values read are decoded. Errors come in the order decoding every parameter first would
 * give them: a malformed escape anywhere, then a repeated parameter, then the first bad value.
 */
export function parseAnnounceQuery(rawQuery: string): HttpAnnounceRequest {
  findValues(rawQuery);
  const text = rawQuery;
  const request: HttpAnnounceRequest = {
    infoHash: hash(text, required(INFO_HASH)),
    peerId: hash(text, required(PEER_ID)),
    port: decimal(text, required(PORT), 65535),
    uploaded: decimal(text, required(UPLOADED)),
    downloaded: decimal(text, required(DOWNLOADED)),
    left: decimal(text, required(LEFT)),
  };
  if (valueFrom[EVENT]! >= 0) {
    const event = decodedText(text, EVENT);
    // BEP 3: `empty` is the same as no event.
    if (event !== '' && event !== 'empty') {
      if (!(ANNOUNCE_EVENTS as readonly string[]).includes(event)) {
        throw new TrackerError('invalid-parameter', `event ${JSON.stringify(event)} is not started, completed or stopped`);
      }
      request.event = event as AnnounceEvent;
    }
  }
  if (valueFrom[COMPACT]! >= 0) request.compact = flag(text, COMPACT);
  if (valueFrom[NO_PEER_ID]! >= 0) request.noPeerId = flag(text, NO_PEER_ID);
  if (valueFrom[NUMWANT]! >= 0) request.numwant = decimal(text, NUMWANT, 0x7fffffff);
  if (valueFrom[KEY]! >= 0) request.key = decoded(text, KEY);
  if (valueFrom[TRACKER_ID]! >= 0) request.trackerId = decoded(text, TRACKER_ID);
  if (valueFrom[IP]! >= 0) request.ip = decoded(text, IP).toString('utf8');
  return request;
}

/** Fills valueFrom / valueTo; throws for a malformed escape, then for a repeated parameter. */
function findValues(rawQuery: string): void {
  valueFrom.fill(-1);
  let repeated: string | undefined;
  const end = rawQuery.length;
  for (let at = rawQuery.startsWith('?') ? 1 : 0; at <= end; ) {
    let amp = rawQuery.indexOf('&', at);
    if (amp === -1) amp = end;
    if (amp > at) {
      let eq = rawQuery.indexOf('=', at);
      if (eq === -1 || eq > amp) eq = amp;
      checkEscapes(rawQuery, at, eq);
      const from = eq === amp ? amp : eq + 1;
      checkEscapes(rawQuery, from, amp);
      const param = knownParam(rawQuery, at, eq);
      if (param >= 0) {
        if (valueFrom[param]! >= 0) repeated ??= PARAMS[param];
        else {
          valueFrom[param] = from;
          valueTo[param] = amp;
        }
      }
    }
    at = amp + 1;
  }
  if (repeated !== undefined) throw new TrackerError('duplicate-parameter', `${repeated} appears more than once`);
}

/** The index in PARAMS of the name at [from, to), or -1 for an unknown one. */
function knownParam(text: string, from: number, to: number): number {
  const length = to - from;
  const escape = text.indexOf('%', from);
  if (escape !== -1 && escape < to) return PARAMS.indexOf(percentDecode(text.slice(from, to)).toString('latin1') as AnnounceParam);
  for (let i = 0; i < PARAMS.length; i++) if (PARAMS[i]!.length === length && text.startsWith(PARAMS[i]!, from)) return i;
  return -1;
}

/** Throws what percentDecode would throw for [from, to), without decoding a well-formed text. */
function checkEscapes(text: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || (c === 0x25 && !(i + 2 < to && hexValue(text.charCodeAt(i + 1)) >= 0 && hexValue(text.charCodeAt(i + 2)) >= 0))) percentDecode(text.slice(from, to));
  }
}

function required(param: number): number {
  if (valueFrom[param]! < 0) throw new TrackerError('missing-parameter', `${PARAMS[param]} is missing`);
  return param;
}

/** Whether the value has an escape (it was checked: every `%` starts a well-formed one). */
function escaped(text: string, param: number): boolean {
  const at = text.indexOf('%', valueFrom[param]!);
  return at !== -1 && at < valueTo[param]!;
}

/** The value's bytes, in a buffer of their own length (its escapes were checked: each is well formed). */
function decoded(text: string, param: number): Buffer {
  const from = valueFrom[param]!;
  const to = valueTo[param]!;
  let length = to - from;
  for (let i = text.indexOf('%', from); i !== -1 && i < to; i = text.indexOf('%', i + 3)) length -= 2;
  const out = Buffer.allocUnsafe(length);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      out[n++] = (hexValue(text.charCodeAt(i + 1)) << 4) | hexValue(text.charCodeAt(i + 2));
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out;
}

function decodedText(text: string, param: number): string {
  return escaped(text, param) ? decoded(text, param).toString('latin1') : text.slice(valueFrom[param], valueTo[param]);
}

function hash(text: string, param: number): Buffer {
  const value = decoded(text, param);
  if (value.length !== 20) throw new TrackerError('invalid-parameter', `${PARAMS[param]} is ${value.length} bytes, not 20`);
  return value;
}

/** 1 to 16 decimal digits (leading zeros allowed), at most `max`. */
function decimal(text: string, param: number, max = Number.MAX_SAFE_INTEGER): number {
  const from = valueFrom[param]!;
  const to = valueTo[param]!;
  let n = to - from >= 1 && to - from <= 16 ? 0 : NaN;
  // Digit by digit: exact up to 2⁵³, and anything larger stays larger (each step rounds monotonically), so the cap holds.
  for (let i = from; i < to && n === n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    n = d >= 0 && d <= 9 ? n * 10 + d : NaN;
  }
  if (n <= max) return n;
  // Escaped digits (`%31`) are digits too; anything else is an error naming the decoded text.
  const decodedValue = decodedText(text, param);
  const m = /^[0-9]{1,16}$/.test(decodedValue) ? Number(decodedValue) : NaN;
  if (!(m <= max)) throw new TrackerError('invalid-parameter', `${PARAMS[param]} ${JSON.stringify(decodedValue)} is not an integer in 0..${max}`);
  return m;
}

function flag(text: string, param: number): boolean {
  const value = decodedText(text, param);
  if (value !== '0' && value !== '1') throw new TrackerError('invalid-parameter', `${PARAMS[param]} must be 0 or 1`);
  return value === '1';
}
