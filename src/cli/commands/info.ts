import { formatMagnet, parseMagnet } from '../../protocol/magnet.js';
import type { Metainfo } from '../../protocol/metainfo/index.js';
import { loadTorrent } from '../read-torrent.js';
import { formatBytes } from '../units.js';
import { formatAddress } from '../../util/socket-address.js';

const FILES_SHOWN = 50;

export async function runInfo(source: string, options: { json?: boolean }): Promise<void> {
  const report = /^magnet:/i.test(source.trim()) ? magnetReport(source) : torrentReport(await loadTorrent(source));
  process.stdout.write(options.json ? `${JSON.stringify(report.json)}\n` : `${report.text.join('\n')}\n`);
}

function torrentReport(meta: Metainfo) {
  const files = meta.files.filter((f) => !f.padding);
  const json = {
    infoHash: meta.infoHashHex,
    name: meta.name,
    length: meta.length,
    pieceLength: meta.pieceLength,
    pieces: meta.pieceCount,
    private: meta.private,
    files: files.map((f) => ({ path: f.path.join('/'), length: f.length })),
    announce: meta.announce.flat(),
    announceTiers: meta.announce,
    urlList: meta.urlList,
    comment: meta.comment,
    createdBy: meta.createdBy,
    creationDate: meta.creationDate,
    hybrid: meta.hybrid,
    magnet: formatMagnet({ infoHash: meta.infoHash, name: meta.name, trackers: meta.announce.flat() }),
    warnings: meta.warnings,
  };
  const text = [
    `name          ${meta.name}`,
    `infohash      ${meta.infoHashHex}`,
    `size          ${formatBytes(meta.length)} (${meta.length} bytes)`,
    `pieces        ${meta.pieceCount} × ${formatBytes(meta.pieceLength)}`,
    `private       ${meta.private ? 'yes' : 'no'}`,
  ];
  if (meta.createdBy) text.push(`created by    ${meta.createdBy}`);
  if (meta.creationDate !== undefined) text.push(`created on    ${new Date(meta.creationDate * 1000).toISOString()}`);
  if (meta.comment) text.push(`comment       ${meta.comment}`);
  text.push(`trackers      ${meta.announce.length ? '' : '(none)'}`.trimEnd());
  meta.announce.forEach((tier, i) => tier.forEach((url) => text.push(`  tier ${i + 1}      ${url}`)));
  if (meta.urlList.length) text.push('web seeds', ...meta.urlList.map((u) => `  ${u}`));
  text.push(`files         ${files.length}`);
  for (const f of files.slice(0, FILES_SHOWN)) text.push(`  ${formatBytes(f.length).padStart(10)}  ${f.path.join('/')}`);
  if (files.length > FILES_SHOWN) text.push(`  … and ${files.length - FILES_SHOWN} more (--json lists them all)`);
  for (const w of meta.warnings) text.push(`warning: ${w}`);
  return { json, text };
}

function magnetReport(uri: string) {
  const m = parseMagnet(uri);
  const json = {
    infoHash: m.infoHashHex,
    name: m.name,
    trackers: m.trackers,
    announce: m.trackers,
    peers: m.peers.map((p) => formatAddress(p.host, p.port)),
    webSeeds: m.webSeeds,
    selectOnly: m.selectOnly,
    magnet: formatMagnet(m),
  };
  const text = [
    `infohash      ${m.infoHashHex}`,
    `name          ${m.name ?? '(not in the link)'}`,
    'size          unknown until the metadata is fetched from peers',
    `trackers      ${m.trackers.length ? '' : '(none)'}`.trimEnd(),
    ...m.trackers.map((t) => `  ${t}`),
  ];
  if (json.peers.length) text.push('peers', ...json.peers.map((p) => `  ${p}`));
  if (m.webSeeds.length) text.push('web seeds', ...m.webSeeds.map((w) => `  ${w}`));
  if (m.selectOnly) text.push(`select only   files ${m.selectOnly.join(', ')}`);
  return { json, text };
}
