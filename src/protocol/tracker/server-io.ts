/*
 * What a tracker server's transport hands over and sends back: the request as it came off the
 * socket (before any parsing) and the bytes of the reply. The transport (src/env) and the routes
 * (src/tracker) meet here, so neither imports the other.
 */

/** An HTTP request: the request line and where it came from. */
export interface TrackerHttpRequest {
  method: string;
  /** The request target as received (path and raw query), e.g. `/announce?info_hash=%12…`. */
  url: string;
  remoteAddress: string;
  remotePort: number;
}

export interface TrackerHttpReply {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A UDP datagram and its source. */
export interface TrackerDatagram {
  data: Buffer;
  address: string;
  port: number;
}

/**
 * The most a tracker's UDP reply takes (an announce reply with 200 IPv4 peers is 1,220 bytes):
 * a transport can give the routes one buffer this size for every reply.
 */
export const MAX_UDP_REPLY_BYTES = 1500;
