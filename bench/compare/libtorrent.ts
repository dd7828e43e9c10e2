// libtorrent (Debian's python3-libtorrent) as the anchor: a small Python script, written to the
// bench's temporary folder at run time, runs one libtorrent session per process with the settings
// of shared/CLIENTS.md (loopback, TCP only, no DHT/LSD/UPnP/NAT-PMP, several connections per IP),
// everything else at libtorrent's defaults.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PYTHON } from './env-info.js';
import { type Proc, start } from './procs.js';
import { tempRoot } from './payload.js';

const SCRIPT = String.raw`
"""lt.py seed|leech|check TORRENT DIR SECONDS [PEER|-] [TRACKER|-] [stay|-] [utp]

seed:  checks DIR, prints {"event":"seeding","checkSeconds"}, serves until SECONDS or SIGTERM.
leech: downloads into DIR (dialling PEER, announcing to TRACKER), prints {"event":"complete",
       "seconds"} when every piece is verified; exits then, or keeps serving with "stay".
check: prints {"event":"checked","seconds","seeding"}: from add_torrent to the check's end.
Every mode prints {"event":"listening","port"} first."""
import json, signal, sys, time
import libtorrent as lt

stopping = False
def on_signal(signum, frame):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

def emit(**record):
    print(json.dumps(record), flush=True)

mode, torrent, save_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
peer = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
tracker = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != "-" else None
stay = len(sys.argv) > 7 and sys.argv[7] == "stay"
utp = len(sys.argv) > 8 and sys.argv[8] == "utp"
deadline = time.monotonic() + seconds

ses = lt.session({
    "listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
})
if utp:  # uTP only: TCP off both ways
    ses.apply_settings({"enable_outgoing_utp": True, "enable_incoming_utp": True,
                        "enable_outgoing_tcp": False, "enable_incoming_tcp": False})
while ses.listen_port() == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
emit(event="listening", port=ses.listen_port())

p = lt.add_torrent_params()
p.ti = lt.torrent_info(torrent)
p.save_path = save_path
p.flags |= lt.torrent_flags.disable_pex
if tracker:
    p.trackers = [tracker]
if mode == "check":
    p.flags |= lt.torrent_flags.upload_mode  # never write: only the check is timed
started = time.monotonic()
h = ses.add_torrent(p)
if peer:
    host, _, port = peer.rpartition(":")
    h.connect_peer((host, int(port)))

done = False
code = 0
while not stopping:
    if time.monotonic() > deadline:
        code = 0 if done else 2
        if not done:
            emit(event="error", message="not done within %s s" % seconds)
        break
    ses.wait_for_alert(20)
    for a in ses.pop_alerts():
        if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
            emit(event="error", message=a.message())
            stopping = True
        elif mode == "check" and isinstance(a, lt.torrent_checked_alert) and not done:
            done = True
            emit(event="checked", seconds=round(time.monotonic() - started, 4), seeding=h.status().is_seeding)
    if mode == "check":
        if done:
            break
        continue
    if not done and h.status().is_seeding:
        done = True
        if mode == "seed":
            emit(event="seeding", checkSeconds=round(time.monotonic() - started, 4))
        else:
            emit(event="complete", seconds=round(time.monotonic() - started, 4))
            if not stay:
                break
sys.exit(code)
`;

let scriptPath: string | undefined;

function script(): string {
  if (!scriptPath) {
    scriptPath = path.join(tempRoot(), 'lt.py');
    writeFileSync(scriptPath, SCRIPT);
  }
  return scriptPath;
}

export interface LtOptions {
  mode: 'seed' | 'leech' | 'check';
  torrent: string;
  dir: string;
  seconds: number;
  peer?: string;
  tracker?: string;
  /** A leecher keeps serving after it completes (the swarm). */
  stay?: boolean;
  /** uTP only (TCP off). */
  utp?: boolean;
  label: string;
}

export function startLibtorrent(o: LtOptions): Proc {
  const args = [o.mode, o.torrent, o.dir, String(o.seconds), o.peer ?? '-', o.tracker ?? '-', o.stay ? 'stay' : '-', o.utp ? 'utp' : '-'];
  return start([PYTHON, script(), ...args], { label: o.label, seconds: o.seconds + 10 });
}
