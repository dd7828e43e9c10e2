import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Daemon } from './daemon.js';

/**
 * GET /metrics in the Prometheus text format (prom-client). Values are read from the daemon when
 * scraped, so nothing is counted on the data path. Node's own metrics (event-loop lag, heap, CPU)
 * come from prom-client's default collectors.
 */
export class DaemonMetrics {
  readonly registry = new Registry();

  constructor(daemon: Daemon) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    new Gauge({
      name: 'actorrent_torrents',
      help: 'Torrents in the daemon, by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const state of ['stopped', 'queued', 'metadata', 'checking', 'downloading', 'seeding', 'stopping', 'failed']) this.set({ state }, 0);
        for (const entry of daemon.list()) this.inc({ state: entry.phase });
      },
    });
    new Gauge({
      name: 'actorrent_peers_connected',
      help: 'Handshaken peer connections over all torrents',
      registers,
      collect() {
        this.set(daemon.list().reduce((sum, e) => sum + e.rates().peers, 0));
      },
    });
    const rate = (name: string, help: string, pick: (r: { down: number; up: number }) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(daemon.list().reduce((sum, e) => sum + pick(e.rates()), 0));
        },
      });
    rate('actorrent_download_rate_bytes', 'Payload download rate over all torrents, bytes per second', (r) => r.down);
    rate('actorrent_upload_rate_bytes', 'Payload upload rate over all torrents, bytes per second', (r) => r.up);
    const total = (name: string, help: string, pick: (t: ReturnType<Daemon['totals']>) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          // Counters never go down: the daemon keeps the totals of removed torrents.
          this.reset();
          this.inc(pick(daemon.totals()));
        },
      });
    total('actorrent_downloaded_bytes_total', 'Payload bytes downloaded, every torrent, ever', (t) => t.downloaded);
    total('actorrent_uploaded_bytes_total', 'Payload bytes uploaded, every torrent, ever', (t) => t.uploaded);
    total('actorrent_hash_failure_bytes_total', 'Bytes of pieces that failed their hash check', (t) => t.hashFailures);
    total('actorrent_tracker_errors_total', 'Tracker announces that failed, in this run', (t) => t.trackerErrors);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
