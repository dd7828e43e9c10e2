import { messageOf } from '../util/message-of.js';

/** One line a user can act on, e.g. "port 6881 is already in use". */
export function describeListenError(err: unknown, host: string | undefined, port: number): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = host ? `${host} port ${port}` : `port ${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use${host ? ` on ${host}` : ''}`;
    case 'EACCES':
      return `permission denied to listen on ${where}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host ?? 'that address'}: it is not an address of this machine`;
    default:
      return `cannot listen on ${where}: ${messageOf(err)}`;
  }
}
