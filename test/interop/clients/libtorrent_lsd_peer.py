#!/usr/bin/python3
"""A libtorrent peer that finds its swarm only by Local Service Discovery (BEP 14).

  /usr/bin/python3 libtorrent_lsd_peer.py seed|leech TORRENT SAVE_PATH SECONDS BIND_IP

seed:  checks the data in SAVE_PATH and seeds it until SIGTERM / SIGINT, or until SECONDS pass.
leech: downloads into SAVE_PATH and exits 0 once every piece is verified (2 if SECONDS pass first).

Listens on BIND_IP:6881 (its own network namespace), TCP only; LSD on; DHT, PEX, UPnP and NAT-PMP
off; the torrent should have no tracker, and no peer is given: LSD is the only source of peers.

Prints one JSON object per line: `listening` {port}, `peer` {ip, client, outgoing, lsd} (once a
peer's handshake is in; `lsd` when libtorrent heard it announce by LSD: peer_info.source), `alert`
{type, message} (errors, lsd_error_alert among them), `seeding`, `complete` {seconds, downloaded}.
"""
import json
import signal
import sys
import time

import libtorrent as lt

stopping = False


def on_signal(signum, frame):
    global stopping
    stopping = True


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def emit(**record):
    print(json.dumps(record), flush=True)


def main():
    mode, torrent, save_path, seconds, bind_ip = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ses = lt.session({
        "listen_interfaces": bind_ip + ":6881", "outgoing_interfaces": bind_ip,
        "enable_lsd": True,
        "enable_dht": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.peer_notification,
    })
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save_path
    p.flags |= lt.torrent_flags.disable_pex
    h = ses.add_torrent(p)
    emit(event="listening", port=ses.listen_port())

    started = time.monotonic()
    seen = set()
    done = False
    code = 0
    while not stopping:
        now = time.monotonic()
        if now > deadline:
            if mode == "leech" and not done:
                code = 2
            break
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if a.category() & lt.alert.category_t.error_notification:
                emit(event="alert", type=type(a).__name__, message=a.message())
        for peer in h.get_peer_info():
            lsd = bool(peer.source & lt.peer_info.lsd)
            key = (peer.ip[0], peer.ip[1], lsd)  # again when LSD names a peer already connected
            if key in seen or peer.pid.is_all_zeros():  # seen already, or its handshake is not in yet
                continue
            seen.add(key)
            emit(event="peer", ip="%s:%d" % key[:2], client=text(peer.client),
                 outgoing=bool(peer.flags & lt.peer_info.local_connection), lsd=lsd)
        st = h.status()
        if not done and st.is_seeding:
            done = True
            if mode == "seed":
                emit(event="seeding")
            else:
                emit(event="complete", seconds=round(now - started, 3), downloaded=st.total_payload_download)
                break
    return code


if __name__ == "__main__":
    sys.exit(main())
