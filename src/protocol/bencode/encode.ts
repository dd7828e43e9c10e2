import { ProtocolError } from '../errors.js';

/**
 * What `encode` accepts: decoded values (BValue) plus JS strings (written as UTF-8) for convenience.
 * Dictionary keys are byte strings read as latin1, exactly as the decoder produces them, so a
 * decoded value re-encodes to the same bytes. Properties whose value is `undefined` are left out.
 */
export type Encodable =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Encodable[]
  | { readonly [key: string]: Encodable | undefined };

/**
 * Why not the `bencode` package's encoder: bencode@4 drops bigint values without a word, writes
 * dictionary keys as UTF-8 (so binary keys such as a scrape reply's infohashes are corrupted) and
 * turns non-integer numbers into rounded integers with only a console warning. Infohashes and
 * handshakes must be byte-exact, so we encode ourselves; the tests check our output against the
 * package wherever its behaviour is defined.
 */
export function encode(value: Encodable): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

const E = Buffer.from('e');
const L = Buffer.from('l');
const D = Buffer.from('d');

function write(value: Encodable, parts: Buffer[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new ProtocolError('not-an-integer', `cannot bencode ${value}: not a safe integer`);
    parts.push(Buffer.from(`i${value}e`));
  } else if (typeof value === 'bigint') {
    parts.push(Buffer.from(`i${value}e`));
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (value instanceof Uint8Array) {
    parts.push(Buffer.from(`${value.length}:`), Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  } else if (Array.isArray(value)) {
    parts.push(L);
    for (const item of value as readonly Encodable[]) write(item, parts);
    parts.push(E);
  } else {
    const dict = value as { readonly [key: string]: Encodable | undefined };
    parts.push(D);
    // Latin1 keys: UTF-16 code unit order is byte order.
    for (const key of Object.keys(dict).sort()) {
      const item = dict[key];
      if (item === undefined) continue;
      const keyBytes = Buffer.from(key, 'latin1');
      if (keyBytes.toString('latin1') !== key) {
        throw new ProtocolError('invalid-key', `dictionary key ${JSON.stringify(key)} is not a latin1 byte string`);
      }
      parts.push(Buffer.from(`${keyBytes.length}:`), keyBytes);
      write(item, parts);
    }
    parts.push(E);
  }
}
