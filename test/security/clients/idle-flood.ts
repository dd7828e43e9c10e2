// An attacker for the flood tests: holds `count` TCP connections to 127.0.0.1:`port` that never send
// a byte, spread over the given local loopback addresses, and reopens each one as soon as it is
// closed. Runs for at most `seconds`, then prints its totals as JSON and exits. Loopback only.
import net from 'node:net';

const [port, count, seconds, ...addresses] = process.argv.slice(2);
const target = Number(port);
const wanted = Number(count);
if (!addresses.length || !addresses.every((a) => a.startsWith('127.'))) throw new Error('loopback source addresses only');
let opened = 0;
let open = 0;
let stopping = false;
const sockets = new Set<net.Socket>();

function connect(slot: number): void {
  if (stopping) return;
  const socket = net.connect({ host: '127.0.0.1', port: target, localAddress: addresses[slot % addresses.length] });
  sockets.add(socket);
  let counted = false;
  socket.on('connect', () => {
    opened++;
    open++;
    counted = true;
    if (opened === wanted) process.stdout.write('holding\n');
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    sockets.delete(socket);
    if (counted) open--;
    // Reopened at once: the pressure stays (a tiny delay after a refused connect, so a dead port is not spun on).
    if (counted) setImmediate(() => connect(slot));
    else setTimeout(() => connect(slot), 50);
  });
}

for (let slot = 0; slot < wanted; slot++) connect(slot);
setTimeout(() => {
  stopping = true;
  for (const s of sockets) s.destroy();
  process.stdout.write(`${JSON.stringify({ opened, open })}\n`);
  process.exit(0);
}, Number(seconds) * 1000);
process.on('SIGTERM', () => {
  stopping = true;
  process.stdout.write(`${JSON.stringify({ opened, open })}\n`);
  process.exit(0);
});
