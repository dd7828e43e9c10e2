#!/usr/bin/python3
"""Asks libtorrent whether a .torrent describes the data already on disk.

  /usr/bin/python3 libtorrent_check.py TORRENT SAVE_PATH [TIMEOUT_SECONDS]

Loads TORRENT with its data in SAVE_PATH (the folder that holds the file or the top folder), waits
for libtorrent's hash check, prints one JSON object and exits 0. Exits 2 if libtorrent rejects the
torrent or the check does not finish in time (the JSON then carries "error").
The session is bound to loopback with DHT, LSD, UPnP and NAT-PMP off, so nothing leaves the machine.
"""
import json
import sys
import time

import libtorrent as lt


def main():
    torrent, save_path = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 30.0)
    report = {"error": None, "alerts": []}
    try:
        ti = lt.torrent_info(torrent)
    except Exception as e:  # libtorrent raises RuntimeError on a torrent it refuses
        report["error"] = "torrent_info: %s" % e
        return finish(report, 2)
    report.update(infohash=str(ti.info_hashes().v1), num_files=ti.num_files(), num_pieces=ti.num_pieces(),
                  name=ti.name(), total_size=ti.total_size())

    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    })
    p = lt.add_torrent_params()
    p.ti = ti
    p.save_path = save_path
    # Never write to the data: a wrong piece must show as missing, not be fetched or repaired.
    p.flags |= lt.torrent_flags.upload_mode
    p.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    h = ses.add_torrent(p)

    checked = False
    while not checked and time.monotonic() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_checked_alert):
                checked = True
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                report["error"] = a.message()
            if a.category() & lt.alert.category_t.error_notification:
                report["alerts"].append(a.message())
        if report["error"]:
            break
    st = h.status()
    report.update(checked=checked, is_seeding=st.is_seeding, progress=st.progress,
                  pieces_have=sum(1 for x in st.pieces if x), state=str(st.state))
    if not checked and not report["error"]:
        report["error"] = "the hash check did not finish in time"
    return finish(report, 0 if checked and not report["error"] else 2)


def finish(report, code):
    print(json.dumps(report))
    return code


if __name__ == "__main__":
    sys.exit(main())
