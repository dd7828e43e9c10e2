#!/usr/bin/python3
"""libtorrent as one peer of a transfer with actorrent (no tracker).

  /usr/bin/python3 libtorrent_peer.py seed|leech TORRENT SAVE_PATH LIFETIME_SECONDS [HOST:PORT]

TORRENT is a .torrent file or, to leech, a magnet link (then a `metadata` event says when the info
dictionary arrived).

seed:  checks the data in SAVE_PATH and seeds it until LIFETIME_SECONDS pass (or SIGTERM/SIGINT).
leech: downloads into SAVE_PATH from the peer HOST:PORT it dials, and exits 0 once every piece is
       verified (2 if LIFETIME_SECONDS pass first).

Prints one JSON object per line, each with an "event": `listening` {port}, `seeding`, `peer` {ip,
client, pid, outgoing, supports_extensions} (once a peer's handshake is in, and again if libtorrent
renames it), `alert` {type, message} (errors, and peer connects/disconnects with libtorrent's reason:
for debugging), `progress` {progress, downloaded, uploaded}, `complete` {seconds, downloaded}.
Bound to 127.0.0.1, TCP only, DHT/LSD/UPnP/NAT-PMP/PEX off, default encryption policy (which dials
with MSE first and falls back to plaintext).
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
    mode, torrent, save_path, lifetime = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    connect_to = sys.argv[5] if len(sys.argv) > 5 else None
    deadline = time.monotonic() + lifetime
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification,
    })
    if torrent.startswith("magnet:"):
        # A magnet link: the metadata comes from the peer over ut_metadata (BEP 9).
        p = lt.parse_magnet_uri(torrent)
    else:
        p = lt.add_torrent_params()
        p.ti = lt.torrent_info(torrent)
    p.save_path = save_path
    p.flags |= lt.torrent_flags.disable_pex
    h = ses.add_torrent(p)
    emit(event="listening", port=ses.listen_port())

    if connect_to:
        host, _, port = connect_to.rpartition(":")
        h.connect_peer((host.strip("[]"), int(port)))

    started = time.monotonic()
    seen = set()
    done = False
    last_progress = 0.0
    code = 0
    while not stopping:
        now = time.monotonic()
        if now > deadline:
            if mode == "leech" and not done:
                code = 2
            break
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, lt.metadata_received_alert):
                emit(event="metadata", seconds=round(time.monotonic() - started, 3))
            if a.category() & lt.alert.category_t.error_notification or isinstance(
                    a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert)):
                emit(event="alert", type=type(a).__name__, message=a.message())
        for peer in h.get_peer_info():
            key = (peer.ip[0], peer.ip[1], text(peer.client))
            if key in seen or peer.pid.is_all_zeros():  # seen already, or its handshake is not in yet
                continue
            seen.add(key)
            emit(event="peer", ip="%s:%d" % key[:2], client=text(peer.client),
                 pid=peer.pid.to_bytes().decode("latin1"),
                 outgoing=bool(peer.flags & lt.peer_info.local_connection),
                 supports_extensions=bool(peer.flags & lt.peer_info.supports_extensions))
        st = h.status()
        if now - last_progress >= 1.0:
            last_progress = now
            emit(event="progress", progress=st.progress, downloaded=st.total_payload_download,
                 uploaded=st.total_payload_upload)
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
