#!/usr/bin/python3
"""A libtorrent peer that finds its swarm only through the trackers named in the torrent.

  /usr/bin/python3 libtorrent_tracker_peer.py seed|leech TORRENT SAVE_PATH SECONDS [BIND_IP]

seed:  checks the data in SAVE_PATH and seeds it until SIGTERM / SIGINT, or until SECONDS pass.
leech: downloads into SAVE_PATH and exits 0 once every piece is verified and the tracker has
       answered its `completed` (2 if SECONDS pass first).
Either way it stops gracefully: it pauses the torrent, which announces `stopped`, and waits (up to
4 s) for the tracker to answer, so a test can see the peer leave the tracker.

Prints one JSON object per line: `listening` {port}, `tracker-announce` {url, announce} (BEP 15 event
code: 0 none, 1 completed, 2 started, 3 stopped), `tracker-reply` {url, peers}, `tracker-error`
{url, message}, `seeding`, `complete` {seconds, downloaded}, `error` {message}, `exit` {code}.
Bound to BIND_IP (default 127.0.0.1), TCP only, DHT/LSD/UPnP/NAT-PMP off: the tracker is its only source of peers.
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


def emit(**record):
    print(json.dumps(record), flush=True)


def report(alerts):
    """Emits the alerts a tracker test cares about; returns the announce events sent."""
    sent = []
    for a in alerts:
        if isinstance(a, lt.tracker_announce_alert):
            sent.append(int(a.event))
            emit(event="tracker-announce", url=a.tracker_url(), announce=int(a.event))
        elif isinstance(a, lt.tracker_reply_alert):
            emit(event="tracker-reply", url=a.tracker_url(), peers=a.num_peers)
        elif isinstance(a, lt.tracker_error_alert):
            emit(event="tracker-error", url=a.tracker_url(), message=a.message())
        elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert)):
            emit(event="error", message=a.message())
    return sent


def main():
    mode, torrent, save_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    bind_ip = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ses = lt.session({
        "listen_interfaces": bind_ip + ":0", "outgoing_interfaces": bind_ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.tracker_notification,
    })
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save_path
    h = ses.add_torrent(p)
    emit(event="listening", port=ses.listen_port())

    started = time.monotonic()
    done = False
    completed_sent = False
    code = 0
    while not stopping:
        if time.monotonic() > deadline:
            if mode == "leech" and not done:
                emit(event="error", message="not complete within %s s" % seconds)
                code = 2
            break
        ses.wait_for_alert(100)
        alerts = ses.pop_alerts()
        completed_sent = completed_sent or 1 in report(alerts)
        # A leecher leaves once the tracker has answered its `completed` (libtorrent may skip the
        # `stopped` of a torrent paused while an announce is in flight).
        if done and mode == "leech" and completed_sent and any(isinstance(a, lt.tracker_reply_alert) for a in alerts):
            break
        st = h.status()
        if not done and st.is_seeding:
            done = True
            if mode == "seed":
                emit(event="seeding")
            else:
                emit(event="complete", seconds=round(time.monotonic() - started, 3), downloaded=st.total_payload_download)
                deadline = min(deadline, time.monotonic() + 5)

    # Pausing announces `stopped`; wait for the tracker's answer before tearing the session down.
    # Not auto-managed first: the session's queue would resume an auto-managed torrent (and announce
    # `started` again).
    h.unset_flags(lt.torrent_flags.auto_managed)
    h.pause()
    stop_sent = False
    wait_until = time.monotonic() + 4
    while time.monotonic() < wait_until:
        ses.wait_for_alert(100)
        alerts = ses.pop_alerts()
        stop_sent = stop_sent or 3 in report(alerts)
        if stop_sent and any(isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)) for a in alerts):
            break
    emit(event="exit", code=code)
    return code


if __name__ == "__main__":
    sys.exit(main())
