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

Options (anywhere after the script name):
  --encryption=enabled|forced|disabled   out_enc_policy and in_enc_policy (default: libtorrent's, enabled)
  --enc-level=rc4|plaintext|both         allowed_enc_level (default: libtorrent's, both)
  --utp-only                             uTP in and out, TCP off (enable_*_tcp False): the `peer` event's
                                         `transport` then says utp
  --timing                               poll alerts every 10 ms and print `first-block` {seconds}: from
                                         libtorrent's first dial to the first block it received
  --dht=HOST:PORT                        libtorrent's DHT on, bootstrapped from that node only, with its
                                         protections against loopback and private addresses relaxed; a
                                         seeder announces to the DHT (again every 5 s until a peer
                                         connects); a leecher needs no HOST:PORT argument. Extra events:
                                         `dht` {nodes} (once its routing table is not empty), `dht-announced`,
                                         `dht-reply` {peers} (get_peers answers), `dht-announce-in` {ip, port}.
The `peer` event also says `encryption`: rc4, plaintext (MSE with the plaintext method) or none, and
`transport`: tcp or utp.
"""
import json
import signal
import sys
import time

import libtorrent as lt

stopping = False
# peer_info::utp_socket (bit 17 of libtorrent 2.0's peer flags; the Python binding does not name it).
UTP_SOCKET = 1 << 17


def on_signal(signum, frame):
    global stopping
    stopping = True


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def emit(**record):
    print(json.dumps(record), flush=True)


def main():
    options = {a[2:].partition("=")[0]: a.partition("=")[2] for a in sys.argv[1:] if a.startswith("--")}
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mode, torrent, save_path, lifetime = args[0], args[1], args[2], float(args[3])
    connect_to = args[4] if len(args) > 4 else None
    timing = "timing" in options
    dht_bootstrap = options.get("dht")
    deadline = time.monotonic() + lifetime
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    settings = {
        "listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
        | (lt.alert.category_t.block_progress_notification if timing else 0)
        | (lt.alert.category_t.dht_notification if dht_bootstrap else 0),
    }
    if dht_bootstrap:
        settings.update({
            "enable_dht": True, "dht_bootstrap_nodes": dht_bootstrap,
            "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
            "dht_enforce_node_id": False, "dht_prefer_verified_node_ids": False,
            "dht_ignore_dark_internet": False,
        })
    if "utp-only" in options:
        settings.update({"enable_outgoing_utp": True, "enable_incoming_utp": True,
                         "enable_outgoing_tcp": False, "enable_incoming_tcp": False})
    if "encryption" in options:
        policy = getattr(lt.enc_policy, options["encryption"])
        settings["out_enc_policy"] = policy
        settings["in_enc_policy"] = policy
    if "enc-level" in options:
        settings["allowed_enc_level"] = getattr(lt.enc_level, options["enc-level"])
    ses = lt.session(settings)
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
    first_dial = None
    first_block = False
    dht_nodes_seen = False
    next_announce = 0.0
    while not stopping:
        now = time.monotonic()
        if now > deadline:
            if mode == "leech" and not done:
                code = 2
            break
        ses.wait_for_alert(10 if timing else 100)
        for a in ses.pop_alerts():
            if timing and first_dial is None and isinstance(a, lt.peer_connect_alert):
                first_dial = time.monotonic()
            if timing and not first_block and isinstance(a, lt.block_finished_alert):
                first_block = True
                emit(event="first-block", seconds=round(time.monotonic() - (first_dial or started), 3))
            if isinstance(a, lt.dht_reply_alert):
                emit(event="dht-reply", peers=a.num_peers)
            if isinstance(a, lt.dht_announce_alert):
                emit(event="dht-announce-in", ip=str(a.ip), port=a.port)
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
            encryption = ("rc4" if peer.flags & lt.peer_info.rc4_encrypted
                          else "plaintext" if peer.flags & lt.peer_info.plaintext_encrypted else "none")
            transport = "utp" if int(peer.flags) & UTP_SOCKET else "tcp"
            emit(event="peer", ip="%s:%d" % key[:2], client=text(peer.client), encryption=encryption, transport=transport,
                 pid=peer.pid.to_bytes().decode("latin1"),
                 outgoing=bool(peer.flags & lt.peer_info.local_connection),
                 supports_extensions=bool(peer.flags & lt.peer_info.supports_extensions))
        st = h.status()
        if dht_bootstrap:
            nodes = ses.status().dht_nodes
            if nodes > 0 and not dht_nodes_seen:
                dht_nodes_seen = True
                emit(event="dht", nodes=nodes)
            # Announce as soon as the table has a node, and again until someone connects.
            if mode == "seed" and dht_nodes_seen and st.num_peers == 0 and now >= next_announce:
                next_announce = now + 5.0
                h.force_dht_announce()
                emit(event="dht-announced")
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
