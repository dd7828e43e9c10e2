import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  DH_KEY_BYTES,
  DH_PRIVATE_BYTES,
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  REQ1_SYNC_LIMIT,
  VC_LENGTH,
  VC_SYNC_LIMIT,
} from './constants.js';
import { dhKeyPair, dhSecret } from './dh.js';
import { MseError } from './errors.js';
import { mseCiphers, req1Hash, req2Hash, req3Hash, xor20 } from './keys.js';
import type { Rc4 } from './rc4.js';

/**
 * The MSE handshake as two pure step machines, one per side: bytes in (`push`), bytes to send and,
 * at the end, the agreed streams out. No sockets and no timers: the transport layer (src/env/mse-*)
 * drives them and owns the time limit.
 *
 *   1 A→B  Ya, PadA
 *   2 B→A  Yb, PadB
 *   3 A→B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *          ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B→A  ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A→B  ENCRYPT2(payload)
 *
 * B finds the end of PadA by searching for HASH('req1', S) within the first 628 bytes; A finds the
 * end of PadB by searching for ENCRYPT(VC) within B's first 616 bytes. Anything else is refused with
 * an MseError.
 */

export type MseMethod = 'rc4' | 'plaintext';

export interface MseOutcome {
  /** The method crypto_select chose for the payload. */
  method: MseMethod;
  /** Our sending stream, continued (undefined with plaintext). */
  encrypt?: Rc4;
  /** The peer's stream, continued (undefined with plaintext). */
  decrypt?: Rc4;
  /** The stream identifier: our infohash as A, the one B identified. */
  skey: Buffer;
  /** What the peer sent past its handshake, as plaintext: IA (as B) followed by any payload. */
  payload: Buffer;
}

export interface MseStep {
  /** Bytes to write to the peer, in order (possibly none). */
  send: Buffer[];
  done?: MseOutcome;
}

/** Random bytes, injected: crypto.randomBytes in production, the seeded rng in the simulator. */
export type RandomBytes = (length: number) => Uint8Array;

const VC = Buffer.alloc(VC_LENGTH);

function methodOf(select: number): MseMethod {
  return select === CRYPTO_RC4 ? 'rc4' : 'plaintext';
}

/** A random padding of 0 to 512 bytes. */
function randomPad(randomBytes: RandomBytes): Buffer {
  const lengthBytes = randomBytes(2);
  const length = ((lengthBytes[0]! << 8) | lengthBytes[1]!) % (MAX_PAD + 1);
  return Buffer.from(randomBytes(length));
}

/**
 * The bytes received and not yet consumed. Chunks are joined only when read, so a peer that
 * trickles a long IA one byte at a time costs linear time, not a copy of everything per byte.
 */
class Inbox {
  private chunks: Buffer[] = [];
  private total = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.total += chunk.length;
  }

  get length(): number {
    return this.total;
  }

  /** The unconsumed bytes (a view). */
  view(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [this.chunks.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.chunks, this.total)];
    return this.chunks[0]!;
  }

  take(n: number): Buffer {
    const bytes = this.view();
    this.chunks = [bytes.subarray(n)];
    this.total = bytes.length - n;
    return bytes.subarray(0, n);
  }

  takeAll(): Buffer {
    return this.take(this.total);
  }
}

/** The rest of the stream once the handshake is over, decrypted when the method is RC4. */
function payloadOf(rest: Buffer, decrypt: Rc4 | undefined): Buffer {
  return decrypt ? decrypt.update(rest) : Buffer.from(rest);
}

export interface MseInitiatorOptions {
  /** The infohash of the torrent we dial for. */
  skey: Buffer;
  randomBytes: RandomBytes;
  /** crypto_provide: CRYPTO_RC4, CRYPTO_PLAINTEXT or both. */
  cryptoProvide: number;
  /** IA: bytes sent encrypted in step 3 (e.g. the BitTorrent handshake); default none. */
  initialPayload?: Uint8Array;
}

/** Side A, the one that opened the connection. */
export class MseInitiator {
  private readonly inbox = new Inbox();
  private readonly privateKey: bigint;
  private readonly publicKey: Buffer;
  private state: 'sent-key' | 'sync-vc' | 'select' | 'pad-d' | 'done' = 'sent-key';
  private encrypt?: Rc4;
  private decrypt?: Rc4;
  private encryptedVc?: Buffer;
  /** Bytes of B's stream consumed so far (the VC search is bounded from B's start). */
  private consumed = 0;
  private select = 0;
  private padDLength = 0;

  constructor(private readonly options: MseInitiatorOptions) {
    if ((options.cryptoProvide & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0) throw new RangeError('crypto_provide offers no method');
    if ((options.initialPayload?.length ?? 0) > MAX_INITIAL_PAYLOAD) throw new RangeError('IA longer than 65535 bytes');
    const pair = dhKeyPair(options.randomBytes(DH_PRIVATE_BYTES));
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** Step 1: Ya and PadA. */
  start(): Buffer {
    return Buffer.concat([this.publicKey, randomPad(this.options.randomBytes)]);
  }

  push(chunk: Uint8Array): MseStep {
    if (this.state === 'done') throw new Error('the MSE handshake is already over');
    return this.advance(chunk);
  }

  private advance(chunk: Uint8Array): MseStep {
    this.inbox.push(chunk);
    const send: Buffer[] = [];
    for (;;) {
      switch (this.state) {
        case 'sent-key': {
          if (this.inbox.length < DH_KEY_BYTES) return { send };
          const secret = dhSecret(this.privateKey, this.inbox.take(DH_KEY_BYTES));
          this.consumed = DH_KEY_BYTES;
          const { encrypt, decrypt } = mseCiphers('A', secret, this.options.skey);
          this.encrypt = encrypt;
          this.decrypt = decrypt;
          // ENCRYPT(VC) as B will send it; computing it advances our copy of B's stream past the VC.
          this.encryptedVc = decrypt.update(VC);
          send.push(this.step3(secret));
          this.state = 'sync-vc';
          break;
        }
        case 'sync-vc': {
          const bytes = this.inbox.view();
          const at = bytes.indexOf(this.encryptedVc!);
          if (at !== -1 && this.consumed + at + VC_LENGTH <= VC_SYNC_LIMIT) {
            this.inbox.take(at + VC_LENGTH);
            this.consumed += at + VC_LENGTH;
            this.state = 'select';
            break;
          }
          if (this.consumed + bytes.length >= VC_SYNC_LIMIT) {
            throw new MseError('sync-not-found', `no encrypted verification constant within ${VC_SYNC_LIMIT} bytes`);
          }
          return { send };
        }
        case 'select': {
          if (this.inbox.length < 6) return { send };
          const fields = this.decrypt!.update(this.inbox.take(6));
          const select = fields.readUInt32BE(0) & (CRYPTO_RC4 | CRYPTO_PLAINTEXT);
          if ((select !== CRYPTO_RC4 && select !== CRYPTO_PLAINTEXT) || (select & this.options.cryptoProvide) === 0) {
            throw new MseError('bad-crypto-select', `crypto_select 0x${fields.readUInt32BE(0).toString(16)} is not one method of the 0x${this.options.cryptoProvide.toString(16)} we provided`);
          }
          this.select = select;
          this.padDLength = fields.readUInt16BE(4);
          if (this.padDLength > MAX_PAD) throw new MseError('padding-too-long', `PadD of ${this.padDLength} bytes (at most ${MAX_PAD})`);
          this.state = 'pad-d';
          break;
        }
        case 'pad-d': {
          if (this.inbox.length < this.padDLength) return { send };
          this.decrypt!.update(this.inbox.take(this.padDLength));
          this.state = 'done';
          const rc4 = this.select === CRYPTO_RC4;
          const decrypt = rc4 ? this.decrypt : undefined;
          return {
            send,
            done: {
              method: methodOf(this.select),
              encrypt: rc4 ? this.encrypt : undefined,
              decrypt,
              skey: this.options.skey,
              payload: payloadOf(this.inbox.takeAll(), decrypt),
            },
          };
        }
        default:
          return { send };
      }
    }
  }

  private step3(secret: Buffer): Buffer {
    const ia = this.options.initialPayload ?? new Uint8Array(0);
    const header = Buffer.alloc(VC_LENGTH + 4 + 2 + 2);
    header.writeUInt32BE(this.options.cryptoProvide, VC_LENGTH);
    header.writeUInt16BE(0, VC_LENGTH + 4); // len(PadC): no PadC
    header.writeUInt16BE(ia.length, VC_LENGTH + 6);
    return Buffer.concat([
      req1Hash(secret),
      xor20(req2Hash(this.options.skey), req3Hash(secret)),
      this.encrypt!.update(header),
      this.encrypt!.update(ia),
    ]);
  }
}

export interface MseResponderOptions {
  randomBytes: RandomBytes;
  /** The SKEY (infohash) whose HASH('req2', SKEY) this is, or undefined when we serve no such torrent. */
  findSkey: (req2: Buffer) => Buffer | undefined;
  /** crypto_select for the peer's crypto_provide: one bit, or undefined to refuse. */
  selectMethod: (provided: number) => number | undefined;
}

/** Side B, the one that accepted the connection. */
export class MseResponder {
  private readonly inbox = new Inbox();
  private readonly privateKey: bigint;
  private readonly publicKey: Buffer;
  private state: 'key' | 'sync-req1' | 'skey' | 'provide' | 'pad-c' | 'ia' | 'done' = 'key';
  private secret?: Buffer;
  private req1?: Buffer;
  private consumed = 0;
  private skey?: Buffer;
  private encrypt?: Rc4;
  private decrypt?: Rc4;
  private provided = 0;
  private padCLength = 0;
  private iaLength = 0;

  constructor(private readonly options: MseResponderOptions) {
    const pair = dhKeyPair(options.randomBytes(DH_PRIVATE_BYTES));
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  push(chunk: Uint8Array): MseStep {
    if (this.state === 'done') throw new Error('the MSE handshake is already over');
    return this.advance(chunk);
  }

  private advance(chunk: Uint8Array): MseStep {
    this.inbox.push(chunk);
    const send: Buffer[] = [];
    for (;;) {
      switch (this.state) {
        case 'key': {
          if (this.inbox.length < DH_KEY_BYTES) return { send };
          this.secret = dhSecret(this.privateKey, this.inbox.take(DH_KEY_BYTES));
          this.consumed = DH_KEY_BYTES;
          this.req1 = req1Hash(this.secret);
          send.push(Buffer.concat([this.publicKey, randomPad(this.options.randomBytes)]));
          this.state = 'sync-req1';
          break;
        }
        case 'sync-req1': {
          const bytes = this.inbox.view();
          const at = bytes.indexOf(this.req1!);
          if (at !== -1 && this.consumed + at + 20 <= REQ1_SYNC_LIMIT) {
            this.inbox.take(at + 20);
            this.consumed += at + 20;
            this.state = 'skey';
            break;
          }
          if (this.consumed + bytes.length >= REQ1_SYNC_LIMIT) {
            throw new MseError('sync-not-found', `no HASH('req1', S) within ${REQ1_SYNC_LIMIT} bytes`);
          }
          return { send };
        }
        case 'skey': {
          if (this.inbox.length < 20) return { send };
          const req2 = xor20(this.inbox.take(20), req3Hash(this.secret!));
          const skey = this.options.findSkey(req2);
          if (!skey) throw new MseError('unknown-skey', 'the encrypted handshake names no torrent we serve');
          this.skey = skey;
          const { encrypt, decrypt } = mseCiphers('B', this.secret!, skey);
          this.encrypt = encrypt;
          this.decrypt = decrypt;
          this.state = 'provide';
          break;
        }
        case 'provide': {
          if (this.inbox.length < VC_LENGTH + 6) return { send };
          const fields = this.decrypt!.update(this.inbox.take(VC_LENGTH + 6));
          if (!fields.subarray(0, VC_LENGTH).equals(VC)) {
            throw new MseError('bad-verification-constant', 'the verification constant did not decrypt to zeros');
          }
          this.provided = fields.readUInt32BE(VC_LENGTH);
          this.padCLength = fields.readUInt16BE(VC_LENGTH + 4);
          if (this.padCLength > MAX_PAD) throw new MseError('padding-too-long', `PadC of ${this.padCLength} bytes (at most ${MAX_PAD})`);
          this.state = 'pad-c';
          break;
        }
        case 'pad-c': {
          if (this.inbox.length < this.padCLength + 2) return { send };
          const fields = this.decrypt!.update(this.inbox.take(this.padCLength + 2));
          this.iaLength = fields.readUInt16BE(this.padCLength);
          this.state = 'ia';
          break;
        }
        case 'ia': {
          if (this.inbox.length < this.iaLength) return { send };
          const ia = this.decrypt!.update(this.inbox.take(this.iaLength));
          const select = this.options.selectMethod(this.provided);
          if (select === undefined) {
            throw new MseError('no-common-method', `crypto_provide 0x${this.provided.toString(16)} offers no method we accept`);
          }
          const reply = Buffer.alloc(VC_LENGTH + 4 + 2);
          reply.writeUInt32BE(select, VC_LENGTH);
          send.push(this.encrypt!.update(reply)); // len(PadD) = 0
          this.state = 'done';
          const rc4 = select === CRYPTO_RC4;
          const decrypt = rc4 ? this.decrypt : undefined;
          const rest = payloadOf(this.inbox.takeAll(), decrypt);
          return {
            send,
            done: {
              method: methodOf(select),
              encrypt: rc4 ? this.encrypt : undefined,
              decrypt,
              skey: this.skey!,
              payload: ia.length === 0 ? rest : rest.length === 0 ? ia : Buffer.concat([ia, rest]),
            },
          };
        }
        default:
          return { send };
      }
    }
  }
}
