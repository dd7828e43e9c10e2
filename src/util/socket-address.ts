/** `host:port`, with an IPv6 host in brackets (`[::1]:6881`) so the port stays readable and parseable. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The name of a connection by its remote end: `remoteAddress:remotePort` as the socket reports them,
 * IPv6 unbracketed (`::1:6881`), `?:0` once the socket is gone. The server, the session and PeerWire
 * all name a connection so, and `CONNECTION_CLOSED` finds it by this string, so every one of them
 * must spell it alike; `parsePeerAddress` reads it back (the port follows the last colon).
 */
export function socketAddress(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}
