import { createHash } from 'node:crypto';

/*
 * Write tokens for announce_peer (BEP 5): the token we give a node with get_peers is a hash of its IP
 * address and a secret that changes every 5 minutes; a token made with the current or the previous
 * secret is accepted, so a token is valid 5 to 10 minutes. Nothing per node is stored.
 */

export const TOKEN_ROTATE_MS = 5 * 60_000;
const TOKEN_BYTES = 8;

export interface TokenSecrets {
  readonly current: Buffer;
  readonly previous: Buffer;
  readonly rotatedAt: number;
}

export function newSecrets(now: number, rng: () => number): TokenSecrets {
  return { current: randomSecret(rng), previous: randomSecret(rng), rotatedAt: now };
}

/** New secrets when the current one is older than TOKEN_ROTATE_MS; the same object otherwise. */
export function rotateSecrets(secrets: TokenSecrets, now: number, rng: () => number): TokenSecrets {
  if (now - secrets.rotatedAt < TOKEN_ROTATE_MS) return secrets;
  return { current: randomSecret(rng), previous: secrets.current, rotatedAt: now };
}

export function issueToken(secrets: TokenSecrets, host: string): Buffer {
  return tokenWith(secrets.current, host);
}

export function tokenValid(secrets: TokenSecrets, host: string, token: Buffer): boolean {
  return token.length === TOKEN_BYTES && (token.equals(tokenWith(secrets.current, host)) || token.equals(tokenWith(secrets.previous, host)));
}

function tokenWith(secret: Buffer, host: string): Buffer {
  return createHash('sha1').update(secret).update(host).digest().subarray(0, TOKEN_BYTES);
}

function randomSecret(rng: () => number): Buffer {
  const secret = Buffer.alloc(16);
  for (let i = 0; i < secret.length; i++) secret[i] = Math.floor(rng() * 256);
  return secret;
}
