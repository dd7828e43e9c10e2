import { ProtocolError } from '../errors.js';
import { type BDict, type BList, type BValue, isBDict } from './types.js';

/**
 * Typed reads from decoded dictionaries for the parsers above bencode. Each takes the error to
 * throw, so a metainfo field reports a MetainfoError and a tracker field a TrackerError.
 */
export type ErrorFactory = (code: string, message: string) => ProtocolError;

export class FieldReader {
  constructor(
    private readonly fail: ErrorFactory,
    private readonly where: string,
  ) {}

  /** A reader for a nested dictionary, naming it in messages. */
  nested(where: string): FieldReader {
    return new FieldReader(this.fail, `${this.where}.${where}`);
  }

  dict(value: BValue | undefined, what = this.where): BDict {
    if (!isBDict(value)) throw this.fail('not-a-dict', `${what} is not a dictionary`);
    return value;
  }

  optionalBytes(d: BDict, key: string): Buffer | undefined {
    const v = d[key];
    if (v === undefined) return undefined;
    if (!Buffer.isBuffer(v)) throw this.fail(`invalid-${slug(key)}`, `${this.where}.${key} is not a byte string`);
    return v;
  }

  bytes(d: BDict, key: string): Buffer {
    const v = this.optionalBytes(d, key);
    if (v === undefined) throw this.fail(`missing-${slug(key)}`, `${this.where}.${key} is missing`);
    return v;
  }

  optionalString(d: BDict, key: string): string | undefined {
    return this.optionalBytes(d, key)?.toString('utf8');
  }

  string(d: BDict, key: string): string {
    return this.bytes(d, key).toString('utf8');
  }

  optionalInt(d: BDict, key: string, range: { min?: number; max?: number } = {}): number | undefined {
    const v = d[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') {
      const why = typeof v === 'bigint' ? 'is out of range' : 'is not an integer';
      throw this.fail(`invalid-${slug(key)}`, `${this.where}.${key} ${why}`);
    }
    if ((range.min !== undefined && v < range.min) || (range.max !== undefined && v > range.max)) {
      throw this.fail(`invalid-${slug(key)}`, `${this.where}.${key} = ${v} is out of range`);
    }
    return v;
  }

  int(d: BDict, key: string, range: { min?: number; max?: number } = {}): number {
    const v = this.optionalInt(d, key, range);
    if (v === undefined) throw this.fail(`missing-${slug(key)}`, `${this.where}.${key} is missing`);
    return v;
  }

  optionalList(d: BDict, key: string): BList | undefined {
    const v = d[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw this.fail(`invalid-${slug(key)}`, `${this.where}.${key} is not a list`);
    return v;
  }

  optionalDict(d: BDict, key: string): BDict | undefined {
    const v = d[key];
    if (v === undefined) return undefined;
    if (!isBDict(v)) throw this.fail(`invalid-${slug(key)}`, `${this.where}.${key} is not a dictionary`);
    return v;
  }
}

function slug(key: string): string {
  return key.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}
