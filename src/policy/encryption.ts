import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from '../protocol/mse/constants.js';

/**
 * What a connection's encryption mode allows (`--encryption`, SessionOptions.encryption). Pure.
 *
 * - `prefer`: dial with MSE and fall back to a plaintext dial once when the MSE handshake fails
 *   (the peer is then dialled in plaintext from there on, as libtorrent does); accept both on the
 *   listening port; offer RC4 and plaintext, select RC4 when offered.
 * - `require`: MSE with RC4 only, in both directions; plaintext handshakes are refused.
 * - `disable`: plaintext only, in both directions: an incoming MSE handshake is refused, as
 *   libtorrent's `pe_disabled` does (and as actorrent did before MSE).
 */
export type EncryptionMode = 'prefer' | 'require' | 'disable';

export const ENCRYPTION_MODES: readonly EncryptionMode[] = ['prefer', 'require', 'disable'];

/** How a connection ended up: MSE with RC4, MSE with the plaintext method, or no MSE at all. */
export type ConnectionEncryption = 'rc4' | 'mse-plaintext' | 'none';

/** How one dial reaches the peer: an MSE handshake first, or the plain BitTorrent handshake. */
export type DialAttempt = 'encrypted' | 'plaintext';

/**
 * The attempts of one dial, in order: the next is tried only when the MSE handshake of the one
 * before failed (a failed TCP connect ends the dial). `plaintextOnlyPeer`: this peer failed MSE
 * before and then took a plaintext connection.
 */
export function dialAttempts(mode: EncryptionMode, plaintextOnlyPeer: boolean): DialAttempt[] {
  switch (mode) {
    case 'require':
      return ['encrypted'];
    case 'disable':
      return ['plaintext'];
    case 'prefer':
      return plaintextOnlyPeer ? ['plaintext'] : ['encrypted', 'plaintext'];
  }
}

/** crypto_provide when we dial. */
export function cryptoProvide(mode: EncryptionMode): number {
  return mode === 'require' ? CRYPTO_RC4 : CRYPTO_RC4 | CRYPTO_PLAINTEXT;
}

/** crypto_select for a peer's crypto_provide (we accepted the connection), or undefined to refuse. */
export function selectCrypto(mode: EncryptionMode, provided: number): number | undefined {
  if (mode === 'disable') return undefined;
  if (provided & CRYPTO_RC4) return CRYPTO_RC4;
  if (mode === 'prefer' && provided & CRYPTO_PLAINTEXT) return CRYPTO_PLAINTEXT;
  return undefined;
}

/** Whether an incoming connection is read on, by the kind of handshake its first bytes show. */
export function admitHandshakeKind(mode: EncryptionMode, kind: 'plaintext' | 'encrypted'): { admit: true } | { admit: false; reason: string } {
  if (kind === 'plaintext' && mode === 'require') return { admit: false, reason: 'plaintext handshake refused: encryption is required' };
  if (kind === 'encrypted' && mode === 'disable') return { admit: false, reason: 'encrypted handshake refused: encryption is disabled' };
  return { admit: true };
}
