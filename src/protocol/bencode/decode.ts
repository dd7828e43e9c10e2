import { ProtocolError } from '../errors.js';
import { type BDict, type BList, type BValue, newBDict } from './types.js';

export type BencodeErrorCode =
  | 'unexpected-end'
  | 'unexpected-byte'
  | 'leading-zero'
  | 'negative-zero'
  | 'invalid-integer'
  | 'integer-overflow'
  | 'invalid-length'
  | 'depth-exceeded'
  | 'unsorted-keys'
  | 'duplicate-key'
  | 'trailing-bytes';

/** Bad bencode, with the byte offset where decoding stopped. */
export class BencodeError extends ProtocolError {
  constructor(
    override readonly code: BencodeErrorCode,
    readonly offset: number,
    detail: string,
  ) {
    super(code, `invalid bencode at byte ${offset}: ${detail}`);
  }
}

/** Something lenient mode accepted that strict mode would refuse. */
export interface BencodeWarning {
  code: 'unsorted-keys' | 'leading-zero' | 'trailing-bytes';
  offset: number;
  message: string;
}

export interface DecodeOptions {
  /**
   * `strict` (default) for anything from the network: the canonical encoding only.
   * `lenient` for .torrent files, as libtorrent: unsorted keys, leading zeros in integers and bytes
   * after the top-level value become warnings instead of errors.
   */
  mode?: 'strict' | 'lenient';
  /** Maximum nesting of lists and dictionaries; libtorrent's limit is 100. */
  maxDepth?: number;
  /** Record the byte span of every list and dictionary (see `DecodedDocument.span`). */
  recordSpans?: boolean;
}

export interface DecodedDocument {
  value: BValue;
  /** Offset just after the decoded value. */
  end: number;
  warnings: BencodeWarning[];
  /** The exact [start, end) bytes a list or dictionary was decoded from, when recordSpans was set. */
  span(container: BList | BDict): [start: number, end: number] | undefined;
}

export const DEFAULT_MAX_DEPTH = 100;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LETTER_I = 0x69;
const LETTER_L = 0x6c;
const LETTER_D = 0x64;
const LETTER_E = 0x65;

/** Decodes exactly one value that must fill `bytes` (strict unless told otherwise); throws BencodeError. */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): BValue {
  return decodeDocument(bytes, options).value;
}

/** Decodes one value at the start of `bytes` and reports where it ended; what follows is the caller's. */
export function decodePrefix(bytes: Uint8Array, options: DecodeOptions = {}): { value: BValue; end: number } {
  const doc = new Decoder(bytes, options).document(false);
  return { value: doc.value, end: doc.end };
}

/** Decodes a whole document, with warnings (lenient mode) and optional container spans. */
export function decodeDocument(bytes: Uint8Array, options: DecodeOptions = {}): DecodedDocument {
  return new Decoder(bytes, options).document(true);
}

class Decoder {
  private readonly buf: Buffer;
  private pos = 0;
  private readonly lenient: boolean;
  private readonly maxDepth: number;
  private readonly spans: WeakMap<object, [number, number]> | undefined;
  private readonly warnings: BencodeWarning[] = [];

  constructor(bytes: Uint8Array, options: DecodeOptions) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.lenient = options.mode === 'lenient';
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.spans = options.recordSpans ? new WeakMap() : undefined;
  }

  document(wholeInput: boolean): DecodedDocument {
    const value = this.value(0);
    const end = this.pos;
    if (wholeInput && end < this.buf.length) {
      this.tolerate('trailing-bytes', end, `${this.buf.length - end} bytes after the top-level value`);
    }
    const spans = this.spans;
    return {
      value,
      end,
      warnings: this.warnings,
      span: (container) => spans?.get(container),
    };
  }

  private value(depth: number): BValue {
    const byte = this.peek();
    if (byte === LETTER_I) return this.integer();
    if (byte >= ZERO && byte <= NINE) return this.bytes();
    if (byte === LETTER_L || byte === LETTER_D) {
      if (depth >= this.maxDepth) {
        throw new BencodeError('depth-exceeded', this.pos, `nesting deeper than ${this.maxDepth}`);
      }
      return byte === LETTER_L ? this.list(depth + 1) : this.dict(depth + 1);
    }
    throw new BencodeError('unexpected-byte', this.pos, `unexpected ${describeByte(byte)}, expected a value`);
  }

  private integer(): number | bigint {
    const start = this.pos;
    this.pos++; // 'i'
    const negative = this.buf[this.pos] === MINUS;
    if (negative) this.pos++;
    const digitsStart = this.pos;
    const digitsEnd = this.scanDigits();
    if (digitsEnd === digitsStart) {
      throw new BencodeError('invalid-integer', this.pos, `expected a digit in the integer starting at byte ${start}`);
    }
    this.pos = digitsEnd;
    if (this.peek() !== LETTER_E) {
      throw new BencodeError('invalid-integer', this.pos, `unexpected ${describeByte(this.peek())} in an integer`);
    }
    this.pos++; // 'e'
    const digits = this.buf.toString('latin1', digitsStart, digitsEnd);
    if (digits.length > 1 && digits.charCodeAt(0) === ZERO) {
      this.tolerate('leading-zero', digitsStart, 'integer with a leading zero');
    }
    if (negative && /^0+$/.test(digits)) {
      throw new BencodeError('negative-zero', start, 'negative zero is not a valid integer');
    }
    if (digits.length <= 15) return negative ? -Number(digits) : Number(digits);
    const big = negative ? -BigInt(digits) : BigInt(digits);
    if (big > INT64_MAX || big < INT64_MIN) {
      throw new BencodeError('integer-overflow', start, 'integer outside the 64-bit range');
    }
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private bytes(): Buffer {
    const { start, end } = this.stringBounds();
    return this.buf.subarray(start, end);
  }

  /** Reads `<length>:` and reserves the following bytes; returns the content's bounds. */
  private stringBounds(): { start: number; end: number } {
    const lengthStart = this.pos;
    const digitsEnd = this.scanDigits();
    if (digitsEnd === lengthStart) {
      throw new BencodeError('invalid-length', this.pos, `unexpected ${describeByte(this.peek())}, expected a string length`);
    }
    if (digitsEnd - lengthStart > 1 && this.buf[lengthStart] === ZERO) {
      throw new BencodeError('leading-zero', lengthStart, 'string length with a leading zero');
    }
    this.pos = digitsEnd;
    if (this.peek() !== COLON) {
      throw new BencodeError('invalid-length', this.pos, `unexpected ${describeByte(this.peek())} in a string length`);
    }
    this.pos++; // ':'
    // More than 16 digits cannot fit in any buffer; parsing them would only lose precision.
    const length = digitsEnd - lengthStart > 16 ? Infinity : Number(this.buf.toString('latin1', lengthStart, digitsEnd));
    const remaining = this.buf.length - this.pos;
    if (length > remaining) {
      throw new BencodeError(
        'unexpected-end',
        this.buf.length,
        `string of ${length} bytes at byte ${lengthStart} but only ${remaining} remain`,
      );
    }
    const start = this.pos;
    this.pos += length;
    return { start, end: this.pos };
  }

  private list(depth: number): BList {
    const start = this.pos;
    this.pos++; // 'l'
    const list: BList = [];
    while (this.peek() !== LETTER_E) list.push(this.value(depth));
    this.pos++; // 'e'
    this.spans?.set(list, [start, this.pos]);
    return list;
  }

  private dict(depth: number): BDict {
    const start = this.pos;
    this.pos++; // 'd'
    const dict = newBDict();
    let previous: { start: number; end: number } | undefined;
    while (this.peek() !== LETTER_E) {
      const keyOffset = this.pos;
      const peeked = this.peek();
      if (peeked < ZERO || peeked > NINE) {
        throw new BencodeError('unexpected-byte', keyOffset, `unexpected ${describeByte(peeked)}, expected a dictionary key`);
      }
      const keyBounds = this.stringBounds();
      const key = this.buf.toString('latin1', keyBounds.start, keyBounds.end);
      if (Object.hasOwn(dict, key)) {
        throw new BencodeError('duplicate-key', keyOffset, `duplicate dictionary key ${JSON.stringify(key)}`);
      }
      // Buffer#compare(target, …, sourceStart, sourceEnd) orders source against target: previous vs this key.
      if (previous && this.buf.compare(this.buf, keyBounds.start, keyBounds.end, previous.start, previous.end) >= 0) {
        this.tolerate('unsorted-keys', keyOffset, `dictionary key ${JSON.stringify(key)} is out of order`);
      }
      previous = keyBounds;
      dict[key] = this.value(depth);
    }
    this.pos++; // 'e'
    this.spans?.set(dict, [start, this.pos]);
    return dict;
  }

  private scanDigits(): number {
    let i = this.pos;
    const buf = this.buf;
    while (i < buf.length) {
      const b = buf[i]!;
      if (b < ZERO || b > NINE) break;
      i++;
    }
    return i;
  }

  /** The byte at the cursor; running off the end is always an error. */
  private peek(): number {
    const byte = this.buf[this.pos];
    if (byte === undefined) throw new BencodeError('unexpected-end', this.pos, 'input ends inside a value');
    return byte;
  }

  private tolerate(code: BencodeWarning['code'], offset: number, message: string): void {
    if (!this.lenient) throw new BencodeError(code, offset, message);
    this.warnings.push({ code, offset, message });
  }
}

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
