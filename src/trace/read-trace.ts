import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TRACE_KINDS, TRACE_VERSION, type TraceMeta, type TraceRecord } from './format.js';

/**
 * Reads and validates a trace file. Every line is checked (a trace may come from anywhere): the
 * header's fields, each record's shape, `seq` increasing and `t` never going back within a node.
 * A problem is a TraceError naming the line; nothing in the file is trusted further than this.
 */

export class TraceError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'TraceError';
  }
}

export interface LoadedTrace {
  meta: TraceMeta;
  /** Records with their 1-based line numbers in the file. */
  records: { line: number; record: TraceRecord }[];
}

/** Lines longer than this are refused (a record is a few hundred bytes; an extension payload a few KiB as hex). */
export const MAX_LINE_CHARS = 1 << 20;
/**
 * Records held in memory at most (a 10 GiB download traces about 1.4 million): a bigger trace is
 * refused with a clear message rather than exhausting the heap.
 */
export const MAX_RECORDS = 5_000_000;
const MAX_FILE_BYTES = 2 * 1024 ** 3;

export async function readTrace(file: string): Promise<LoadedTrace> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new TraceError(0, 'not a file');
    size = info.size;
  } catch (err) {
    if (err instanceof TraceError) throw err;
    throw new TraceError(0, `cannot read it: ${describeFileError(err)}`);
  }
  if (size > MAX_FILE_BYTES) throw new TraceError(0, 'larger than 2 GiB');
  const parser = new TraceParser();
  // Split by hand rather than with readline, which would gather a line of any length (a file with
  // no newline would exhaust memory before the length check could see it).
  let partial: Buffer[] = [];
  let partialBytes = 0;
  const tooLong = () => new TraceError(parser.nextLine, `longer than ${MAX_LINE_CHARS} characters`);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      if (partialBytes + end - start > MAX_LINE_CHARS * 4) throw tooLong();
      partial.push(chunk.subarray(start, end));
      parser.push(stripCr(Buffer.concat(partial).toString('utf8')));
      partial = [];
      partialBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      partialBytes += chunk.length - start;
      if (partialBytes > MAX_LINE_CHARS * 4) throw tooLong();
      partial.push(chunk.subarray(start));
    }
  }
  if (partialBytes > 0) parser.push(stripCr(Buffer.concat(partial).toString('utf8')));
  return parser.finish();
}

function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(err);
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** The same checks on text already in memory (tests, stdin). */
export function parseTrace(text: string): LoadedTrace {
  const parser = new TraceParser();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) parser.push(line);
  return parser.finish();
}

class TraceParser {
  private line = 0;
  private meta: TraceMeta | undefined;
  private readonly records: { line: number; record: TraceRecord }[] = [];
  private readonly lastTime = new Map<string, number>();
  private lastSeq = -1;

  /** The number the next line will have. */
  get nextLine(): number {
    return this.line + 1;
  }

  push(text: string): void {
    this.line++;
    if (this.records.length >= MAX_RECORDS) throw new TraceError(this.line, `more than ${MAX_RECORDS} records: too big to replay`);
    if (text.length > MAX_LINE_CHARS) throw new TraceError(this.line, `longer than ${MAX_LINE_CHARS} characters`);
    if (text.trim() === '') throw new TraceError(this.line, 'empty line');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TraceError(this.line, 'not JSON');
    }
    if (!isObject(value)) throw new TraceError(this.line, 'not a JSON object');
    if (this.line === 1) {
      this.meta = checkMeta(value, this.line);
      return;
    }
    const record = checkRecord(value, this.line);
    if (record.seq <= this.lastSeq) throw new TraceError(this.line, `seq ${record.seq} does not follow ${this.lastSeq}`);
    this.lastSeq = record.seq;
    const last = this.lastTime.get(record.node) ?? 0;
    if (record.t < last) throw new TraceError(this.line, `t goes back from ${last} to ${record.t}`);
    this.lastTime.set(record.node, record.t);
    this.records.push({ line: this.line, record });
  }

  finish(): LoadedTrace {
    if (!this.meta) throw new TraceError(0, 'empty trace: no meta header');
    return { meta: this.meta, records: this.records };
  }
}

function checkMeta(value: Record<string, unknown>, line: number): TraceMeta {
  const fail = (what: string) => new TraceError(line, `meta header: ${what}`);
  if (value['kind'] !== 'meta') throw fail('the first line must be {"kind":"meta",…}');
  if (value['version'] !== TRACE_VERSION) throw fail(`version ${JSON.stringify(value['version'])} is not supported (this actorrent reads version ${TRACE_VERSION})`);
  if (typeof value['command'] !== 'string') throw fail('command must be a string');
  if (!Array.isArray(value['argv']) || !value['argv'].every((a) => typeof a === 'string')) throw fail('argv must be a list of strings');
  const nullableInt = (key: string, min: number, max: number) => {
    const v = value[key];
    if (v !== null && !(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max)) throw fail(`${key} must be null or an integer from ${min} to ${max}`);
  };
  const nullableHex = (key: string, bytes: number) => {
    const v = value[key];
    if (v !== null && !(typeof v === 'string' && new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v))) throw fail(`${key} must be null or ${bytes * 2} hex digits`);
  };
  nullableHex('infoHash', 20);
  nullableHex('peerId', 20);
  if (value['name'] !== null && typeof value['name'] !== 'string') throw fail('name must be null or a string');
  nullableInt('pieceLength', 1, 2 ** 30);
  nullableInt('length', 0, Number.MAX_SAFE_INTEGER);
  nullableInt('pieceCount', 0, 2 ** 31);
  if (typeof value['startedAt'] !== 'string') throw fail('startedAt must be a string');
  for (const key of ['pipelineDepth', 'requestTimeoutMs']) {
    const v = value[key];
    if (!(Number.isSafeInteger(v) && (v as number) > 0)) throw fail(`${key} must be a positive integer`);
  }
  const { pieceLength, length, pieceCount } = value as { pieceLength: number | null; length: number | null; pieceCount: number | null };
  if (pieceLength !== null && length !== null && pieceCount !== null && pieceCount !== Math.ceil(length / pieceLength)) {
    throw fail(`pieceCount ${pieceCount} does not match length ${length} / pieceLength ${pieceLength}`);
  }
  return value as unknown as TraceMeta;
}

function checkRecord(value: Record<string, unknown>, line: number): TraceRecord {
  const fail = (what: string) => new TraceError(line, what);
  const { t, seq, node, kind, peer, dir, msg } = value;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw fail('t must be a number of ms ≥ 0');
  if (!Number.isSafeInteger(seq)) throw fail('seq must be an integer');
  if (typeof node !== 'string') throw fail('node must be a string');
  if (!TRACE_KINDS.includes(kind as TraceRecord['kind'])) throw fail(`unknown kind ${JSON.stringify(kind)}`);
  if (peer !== null && typeof peer !== 'string') throw fail('peer must be null or a string');
  if (dir !== null && dir !== 'in' && dir !== 'out') throw fail('dir must be "in", "out" or null');
  if (!isObject(msg)) throw fail('msg must be an object');
  if (kind === 'wire' || kind === 'connection') {
    if (peer === null) throw fail(`a ${kind} record needs a peer`);
    if (dir === null) throw fail(`a ${kind} record needs dir "in" or "out"`);
  }
  if (kind === 'wire') checkWireMessage(msg, line);
  return { t, seq: seq as number, node, kind: kind as TraceRecord['kind'], peer, dir, msg };
}

const U32 = 0xffffffff;
const isU32 = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= U32;
const isHex = (v: unknown) => typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-f]*$/.test(v);

/** The fields each wire message type must have, as the recorder writes them. */
function checkWireMessage(msg: Record<string, unknown>, line: number): void {
  const type = msg['type'];
  const fail = (what: string) => new TraceError(line, `${String(type)} message: ${what}`);
  const ints = (...keys: string[]) => {
    for (const key of keys) if (!isU32(msg[key])) throw fail(`${key} must be an integer from 0 to ${U32}`);
  };
  switch (type) {
    case 'keep-alive':
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return;
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return ints('index');
    case 'port':
      return ints('port');
    case 'request':
    case 'cancel':
    case 'reject':
      return ints('index', 'begin', 'length');
    case 'piece': {
      ints('index', 'begin');
      const block = msg['block'];
      if (!isObject(block) || !isU32(block['length']) || !(typeof block['sha1'] === 'string' && /^[0-9a-f]{40}$/.test(block['sha1']))) {
        throw fail('block must be {length, sha1}');
      }
      return;
    }
    case 'bitfield':
      if (!isHex(msg['bitfield'])) throw fail('bitfield must be hex');
      return;
    case 'extended':
      if (!Number.isSafeInteger(msg['id']) || (msg['id'] as number) < 0 || (msg['id'] as number) > 255) throw fail('id must be 0-255');
      if (!isHex(msg['payload']) && !isObject(msg['payload'])) throw fail('payload must be hex or {length, sha1}');
      return;
    case 'handshake':
    case 'handshake-sent': {
      for (const key of ['infoHash', 'peerId']) if (!(typeof msg[key] === 'string' && /^[0-9a-f]{40}$/.test(msg[key] as string))) throw fail(`${key} must be 40 hex digits`);
      if (!(typeof msg['reserved'] === 'string' && /^[0-9a-f]{16}$/.test(msg['reserved']))) throw fail('reserved must be 16 hex digits');
      if (!isObject(msg['flags'])) throw fail('flags must be an object');
      return;
    }
    default:
      throw fail('unknown message type');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
