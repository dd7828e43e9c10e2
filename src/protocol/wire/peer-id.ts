/**
 * BEP 20 peer ids. Ours is Azureus style: `-AC` + four version characters + `-` + 12 random bytes.
 */
export const CLIENT_CODE = 'AC';
/** Version characters in our peer id (Azureus style: one character per version component). */
export const CLIENT_VERSION_DIGITS = '0001';
export const PEER_ID_PREFIX = `-${CLIENT_CODE}${CLIENT_VERSION_DIGITS}-`;
export const PEER_ID_LENGTH = 20;

/** `randomBytes` is passed in (crypto.randomBytes in production, a seeded source in simulations). */
export function generatePeerId(randomBytes: (n: number) => Uint8Array): Buffer {
  const randomLength = PEER_ID_LENGTH - PEER_ID_PREFIX.length;
  const random = randomBytes(randomLength);
  if (random.length !== randomLength) throw new RangeError(`randomBytes(${randomLength}) returned ${random.length} bytes`);
  const id = Buffer.alloc(PEER_ID_LENGTH);
  id.write(PEER_ID_PREFIX, 0, 'latin1');
  id.set(random, PEER_ID_PREFIX.length);
  return id;
}

export interface PeerClient {
  client: string;
  version: string;
}

type VersionStyle = (chars: string) => string | undefined;

/** One character per component, `0-9A-Za-z` = 0–61 (libtorrent's reading); a trailing 0 tag is dropped. */
const perCharacter: VersionStyle = (chars) => {
  const parts = [...chars].map(charValue);
  if (parts.some((p) => p === undefined)) return undefined;
  if (parts[3] === 0) parts.pop();
  return parts.join('.');
};

/** Transmission: `-TR0072-` = 0.72, `-TR2940-` = 2.94, `-TR3000-` = 3.00, `-TR4050-` = 4.0.5; Z/X = dev, B = beta. */
const transmission: VersionStyle = (chars) => {
  const [a, b, c, d] = chars;
  if (!/^[0-9]{3}$/.test(chars.slice(0, 3))) return undefined;
  const suffix = d === 'Z' || d === 'X' ? '+' : d === 'B' ? ' beta' : '';
  if (a === '0') return /[0-9]/.test(d ?? '') ? `0.${c}${d}` : undefined;
  return Number(a) < 4 ? `${a}.${b}${c}${suffix}` : `${a}.${b}.${c}${suffix}`;
};

/** WebTorrent: two digits each for major and minor, `-WW0107-` = 1.7. */
const twoByTwo: VersionStyle = (chars) =>
  /^[0-9]{4}$/.test(chars) ? `${Number(chars.slice(0, 2))}.${Number(chars.slice(2))}` : undefined;

/** Azureus-style client codes (`-XXvvvv-`) we can name; a small subset of BEP 20's list. */
const AZUREUS_CLIENTS: { [code: string]: [client: string, style: VersionStyle] } = {
  AC: ['actorrent', perCharacter],
  AZ: ['Vuze', perCharacter],
  BC: ['BitComet', perCharacter],
  DE: ['Deluge', perCharacter],
  KT: ['KTorrent', perCharacter],
  LT: ['libtorrent (Rasterbar)', perCharacter],
  lt: ['libTorrent (rakshasa)', perCharacter],
  qB: ['qBittorrent', perCharacter],
  TR: ['Transmission', transmission],
  UT: ['µTorrent', perCharacter],
  WD: ['WebTorrent Desktop', twoByTwo],
  WW: ['WebTorrent', twoByTwo],
};

/** Mainline-style ids: a prefix, then dash-separated decimal components, e.g. `A2-1-36-0-`, `M4-3-6--`. */
const DASHED_CLIENTS: ReadonlyArray<[prefix: string, client: string]> = [
  ['A2-', 'aria2'],
  ['M', 'BitTorrent (mainline)'],
];

/** Names the client behind a peer id, or undefined when the id follows no convention we know. */
export function describePeerId(id: Uint8Array): PeerClient | undefined {
  if (id.length < 8) return undefined;
  const text = Buffer.from(id.subarray(0, 20)).toString('latin1');
  if (text[0] === '-' && text[7] === '-') {
    const known = AZUREUS_CLIENTS[text.slice(1, 3)];
    const version = known?.[1](text.slice(3, 7));
    return known && version !== undefined ? { client: known[0], version } : undefined;
  }
  for (const [prefix, client] of DASHED_CLIENTS) {
    if (!text.startsWith(prefix)) continue;
    const match = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-/.exec(text.slice(prefix.length));
    if (match) return { client, version: `${match[1]}.${match[2]}.${match[3]}` };
  }
  return undefined;
}

function charValue(c: string): number | undefined {
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 36;
  return undefined;
}
