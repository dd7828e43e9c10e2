import type { ServerCounts } from '../../actors/server.js';
import type { TrackerClientEmitted } from '../../actors/tracker-client.js';
import type { MetadataFetchEmitted } from '../../actors/metadata-fetch.js';
import type { MetadataFetchProgress, TorrentProgress, TorrentSessionEvent } from '../../session.js';
import type { Reporter, ResumeInfo, StartedInfo, TransferStats } from './reporter.js';
import { formatAddress } from '../../util/socket-address.js';

/**
 * `--json`: one JSON object per line on stdout and nothing else there, each with an `event` field.
 * Tracker results become `{"event":"tracker",…}` whose `announce` is the tracker event sent.
 */
export class JsonReporter implements Reporter {
  readonly progressIntervalMs = 1000;
  /** piece-verified is sampled: about one line per percent of the torrent, and always the last piece. */
  private nextVerifiedSample = 0;
  private resumeInfo: ResumeInfo = { resumed: false, reason: 'not looked up' };

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  checking(dataPath: string): void {
    this.write({ event: 'checking', path: dataPath });
  }

  resume(info: ResumeInfo): void {
    this.resumeInfo = info;
  }

  warning(message: string): void {
    this.write({ event: 'warning', message });
  }

  fetchingMetadata(info: { infoHash: string; name?: string; port: number }): void {
    this.write({ event: 'fetching-metadata', infoHash: info.infoHash, name: info.name, port: info.port });
  }

  metadataProgress(p: MetadataFetchProgress): void {
    this.write({ event: 'metadata-progress', state: p.state, peers: p.peers, offering: p.offering, received: p.received, total: p.total });
  }

  metadataEvent(e: MetadataFetchEmitted): void {
    if (e.type === 'metadata-peer-dropped') this.write({ event: 'metadata-peer-dropped', address: bracketed(e.address), reason: e.reason });
    else if (e.type === 'metadata-fetched') this.write({ event: 'metadata-fetched', size: e.size });
    else if (e.type === 'tracker' || e.type === 'peer-connected' || e.type === 'peer-closed') this.event(e);
  }

  torrentSaved(file: string): void {
    this.write({ event: 'torrent-saved', file });
  }

  started(info: StartedInfo): void {
    this.write({ event: 'listening', port: info.port, ...(info.selected ? { selected: info.selected } : {}) });
  }

  event(e: TorrentSessionEvent): void {
    switch (e.type) {
      case 'warning':
        return this.warning(e.message);
      case 'tracker':
        return this.tracker(e.event);
      case 'checked':
        // `resumed`: the pieces came from resume data, without a hash check; else why not.
        return this.write({
          event: 'checked',
          have: e.have,
          total: e.total,
          resumed: this.resumeInfo.resumed,
          ...(this.resumeInfo.resumed ? {} : { resumeReason: this.resumeInfo.reason }),
        });
      case 'peer-connected':
        return this.write({ event: 'peer-connected', address: bracketed(e.address), direction: e.direction, source: e.source, client: e.client, encryption: e.encryption ?? 'none', transport: e.transport ?? 'tcp' });
      case 'peer-closed':
        return this.write({ event: 'peer-closed', address: bracketed(e.address), reason: e.reason });
      case 'piece-failed':
        return this.write({ event: 'piece-failed', index: e.index });
      case 'peer-banned':
        return this.write({ event: 'peer-banned', address: bracketed(e.address), peerId: e.peerId, reason: e.reason });
      case 'piece-verified':
        if (e.have < this.nextVerifiedSample && e.have < e.total) return;
        this.nextVerifiedSample = e.have + Math.max(1, Math.floor(e.total / 100));
        return this.write({ event: 'piece-verified', index: e.index, have: e.have, total: e.total });
      // complete and failed have their own calls.
      default:
        return;
    }
  }

  private tracker(t: TrackerClientEmitted): void {
    if (t.type === 'announce-ok') {
      const { type: _type, event, ...rest } = t;
      this.write({ event: 'tracker', announce: event, ok: true, ...rest });
    } else if (t.type === 'announce-failed') {
      this.write({ event: 'tracker', url: t.url, announce: t.event, ok: false, error: t.error });
    } else if (t.type === 'warning') {
      this.write({ event: 'tracker', url: t.url, warning: t.message });
    }
    // `announce` (an attempt under way) is left out: its result follows.
  }

  connection(e: { type: 'rejected' | 'evicted'; address: string; reason: string }): void {
    this.write({ event: `connection-${e.type}`, address: bracketed(e.address), reason: e.reason });
  }

  progress(p: TorrentProgress, incoming?: ServerCounts): void {
    this.write({
      event: 'progress',
      state: p.state,
      have: p.have,
      total: p.total,
      downloaded: p.downloaded,
      uploaded: p.uploaded,
      peers: p.peers,
      downloadRate: Math.round(p.downloadRate),
      uploadRate: Math.round(p.uploadRate),
      ...(incoming ? { incoming: { accepted: incoming.accepted, rejected: incoming.rejected, evicted: incoming.evicted } } : {}),
    });
  }

  complete(stats: TransferStats & { seconds: number }): void {
    this.write({ event: 'complete', downloaded: stats.downloaded, uploaded: stats.uploaded, seconds: stats.seconds });
  }

  seeding(): void {
    this.write({ event: 'seeding' });
  }

  stopped(info: TransferStats & { signal: string }): void {
    this.write({ event: 'stopped', signal: info.signal, downloaded: info.downloaded, uploaded: info.uploaded });
  }

  error(message: string): void {
    this.write({ event: 'error', message });
  }

  private write(record: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify(record)}\n`);
  }
}

/** The engine names a peer by its socket (`::1:6881`); shown as `--peer` takes it (`[::1]:6881`). */
function bracketed(address: string): string {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return colon < 0 || host.startsWith('[') ? address : formatAddress(host, Number(address.slice(colon + 1)));
}
