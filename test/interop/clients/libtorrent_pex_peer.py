#!/usr/bin/python3
"""libtorrent as one peer of a PEX swarm with actorrent (no tracker, PEX on).

  /usr/bin/python3 libtorrent_pex_peer.py seed|leech TORRENT SAVE_PATH LIFETIME_SECONDS
        [--connect HOST:PORT]... [--upload-limit BYTES_PER_S]

seed:  checks the data in SAVE_PATH and seeds it until LIFETIME_SECONDS pass (or SIGTERM/SIGINT).
leech: downloads into SAVE_PATH from the peers it dials (and those it learns of), keeps serving
       after it completes, until LIFETIME_SECONDS pass or SIGTERM.

Prints one JSON object per line, each with an "event": `listening` {port}, `seeding`, `peer` {ip,
client, outgoing, pex, downloaded, uploaded} (when a peer's handshake is in; `pex`: libtorrent
learned its address from a ut_pex message), `complete` {seconds}, `progress`, and `alert` for errors
and peer connects/disconnects. Bound to 127.0.0.1, TCP only, DHT/LSD/UPnP/NAT-PMP off, PEX on.
"""
import argparse
import json
import signal
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
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["seed", "leech"])
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("lifetime", type=float)
    parser.add_argument("--connect", action="append", default=[])
    parser.add_argument("--upload-limit", type=int, default=0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.lifetime
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        # actorrent speaks plaintext only: dial in plaintext (no MSE attempt and retry).
        "out_enc_policy": lt.enc_policy.disabled, "in_enc_policy": lt.enc_policy.enabled,
        "upload_rate_limit": args.upload_limit,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification,
    })
    if args.upload_limit:
        # Loopback peers are in libtorrent's "local" peer class, which the session's limit skips.
        local = ses.get_peer_class(lt.session.local_peer_class_id)
        local.update(upload_limit=args.upload_limit, ignore_unchoke_slots=False)
        ses.set_peer_class(lt.session.local_peer_class_id, local)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(args.torrent)
    p.save_path = args.save_path
    h = ses.add_torrent(p)
    emit(event="listening", port=ses.listen_port())
    for address in args.connect:
        host, _, port = address.rpartition(":")
        h.connect_peer((host.strip("[]"), int(port)))

    started = time.monotonic()
    seen = set()
    done = False
    last_progress = 0.0
    while not stopping and time.monotonic() < deadline:
        now = time.monotonic()
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if a.category() & lt.alert.category_t.error_notification or isinstance(
                    a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert)):
                emit(event="alert", type=type(a).__name__, message=a.message())
        for peer in h.get_peer_info():
            key = (peer.ip[0], peer.ip[1])
            if key in seen or peer.pid.is_all_zeros():  # seen already, or its handshake is not in yet
                continue
            seen.add(key)
            emit(event="peer", ip="%s:%d" % key, client=text(peer.client),
                 outgoing=bool(peer.flags & lt.peer_info.local_connection),
                 pex=bool(peer.source & lt.peer_info.pex))
        st = h.status()
        if now - last_progress >= 1.0:
            last_progress = now
            peers = [{"ip": "%s:%d" % (q.ip[0], q.ip[1]), "downloaded": q.total_download, "uploaded": q.total_upload,
                      "pex": bool(q.source & lt.peer_info.pex)} for q in h.get_peer_info()]
            emit(event="progress", progress=st.progress, downloaded=st.total_payload_download,
                 uploaded=st.total_payload_upload, peers=peers)
        if not done and st.is_seeding:
            done = True
            emit(event="seeding" if args.mode == "seed" else "complete", seconds=round(now - started, 3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
