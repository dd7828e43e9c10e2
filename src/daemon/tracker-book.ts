import type { TrackerClientEmitted } from '../actors/tracker-client.js';

/**
 * What each tracker of a torrent last said, from the torrent's `tracker` events: the daemon's
 * `tracker_stats`. Times are Unix seconds.
 */
export interface TrackerRecord {
  lastAnnounceTime: number;
  lastAnnounceStartTime: number;
  lastAnnounceResult: string;
  lastAnnounceSucceeded: boolean;
  lastAnnouncePeerCount: number;
  nextAnnounceTime: number;
  seederCount: number;
  leecherCount: number;
  announcing: boolean;
  errors: number;
}

export class TrackerBook {
  private readonly byUrl = new Map<string, TrackerRecord>();
  /** Announces that failed, over all trackers (the metrics' tracker errors). */
  failures = 0;

  record(event: TrackerClientEmitted, now: number): void {
    const r = this.recordOf(event.url);
    switch (event.type) {
      case 'announce':
        r.announcing = true;
        r.lastAnnounceStartTime = now;
        return;
      case 'announce-ok':
        Object.assign(r, {
          announcing: false,
          lastAnnounceTime: now,
          lastAnnounceSucceeded: true,
          lastAnnounceResult: 'Success',
          lastAnnouncePeerCount: event.peers,
          nextAnnounceTime: now + event.interval,
          seederCount: event.complete ?? -1,
          leecherCount: event.incomplete ?? -1,
        });
        return;
      case 'announce-failed':
        this.failures++;
        Object.assign(r, { announcing: false, lastAnnounceTime: now, lastAnnounceSucceeded: false, lastAnnounceResult: event.error, errors: r.errors + 1 });
        return;
      case 'warning':
        r.lastAnnounceResult = event.message;
        return;
    }
  }

  get(url: string): TrackerRecord | undefined {
    return this.byUrl.get(url);
  }

  /** The last tracker problem, for the torrent's `error` 2 / `error_string` (Transmission shows it the same way). */
  lastError(): string | undefined {
    for (const r of this.byUrl.values()) if (!r.lastAnnounceSucceeded && r.lastAnnounceTime > 0) return r.lastAnnounceResult;
    return undefined;
  }

  private recordOf(url: string): TrackerRecord {
    let r = this.byUrl.get(url);
    if (!r) {
      r = {
        lastAnnounceTime: 0,
        lastAnnounceStartTime: 0,
        lastAnnounceResult: '',
        lastAnnounceSucceeded: false,
        lastAnnouncePeerCount: 0,
        nextAnnounceTime: 0,
        seederCount: -1,
        leecherCount: -1,
        announcing: false,
        errors: 0,
      };
      this.byUrl.set(url, r);
    }
    return r;
  }
}
