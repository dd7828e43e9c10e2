import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { cleanups, makeTorrent, startLoopbackTracker, startSeeder, startTestDaemon, tempDir } from './daemon-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ?? path.join(os.tmpdir(), 'actorrent-artifacts');

test('the web UI in headless Chromium, behind Basic auth: add by upload and by magnet, watch it complete, stop it and see its statechart change', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, [CHROMIUM, '--version'], 'chromium')) return;
  const later = cleanups(t);
  const dir = await tempDir(later);
  const tracker = await startLoopbackTracker();
  later(() => tracker.stop());
  const uploaded = await makeTorrent(dir, { name: 'webby', files: [400_000, 250_000], trackers: [tracker.announceUrl!], seed: 21 });
  const magnetTorrent = await makeTorrent(dir, { name: 'magnetic.bin', length: 90_000, seed: 22 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [uploaded, magnetTorrent]);
  later(() => seeder.close());
  const daemon = await startTestDaemon(dir, { rpcAuth: 'web:pass' });
  later(() => daemon.close());
  const base = `http://${daemon.rpcAddress}/transmission/web/`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'], timeout: 30_000 });
  later(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, httpCredentials: { username: 'web', password: 'pass' } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'data:' && url.hostname !== '127.0.0.1') problems.push(`request to another host: ${request.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/409/.test(message.text())) problems.push(`console error: ${message.text()}`);
  });
  page.on('dialog', (dialog) => void dialog.accept());

  await page.goto(base);
  await page.waitForSelector('#no-torrents:not([hidden])');

  // Add by upload.
  await page.setInputFiles('#add-file', uploaded.file);
  const row = `#torrents tr[data-hash="${uploaded.meta.infoHashHex}"]`;
  await page.waitForSelector(row, { timeout: 10_000 });
  await page.click(`${row} td.name`);
  await page.waitForSelector('#details:not([hidden])');
  await page.waitForSelector('#files tr[data-file="webby/file-1.bin"]', { timeout: 10_000 });
  // Its statechart reaches seeding, and the piece map fills in.
  await page.waitForSelector('.card[data-machine="torrent"][data-status="active"] .st[data-path="active.data.seeding"].on', { timeout: 30_000 });
  await page.waitForSelector(`${row}[data-status="seeding"][data-percent="100"]`, { timeout: 10_000 });
  await until(async () => {
    const have = await page.locator('#pieces').getAttribute('data-have');
    return have !== null && have === (await page.locator('#pieces').getAttribute('data-total')) && Number(have) === uploaded.meta.pieceCount;
  }, { what: 'the piece map to show every piece', timeoutMs: 10_000, intervalMs: 100 });
  const machines = await page.locator('#actors .card').evaluateAll((cards) => cards.map((c) => (c as unknown as { dataset: Record<string, string> }).dataset['machine']));
  for (const machine of ['daemon-torrent', 'torrent', 'file-manager', 'downloader', 'uploader', 'client', 'tracker-client']) assert.ok(machines.includes(machine), `${machine} shown`);
  // The daemon's own machine for this torrent: seeding too.
  await page.waitForSelector('.card[data-machine="daemon-torrent"] .st[data-path="running.seeding"].on', { timeout: 10_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  const seeding = path.join(ARTIFACTS, 'daemon-web-seeding.png');
  await page.screenshot({ path: seeding, fullPage: true });

  // Stop it: the daemon stops the torrent, its actor reaches `stopped`.
  await page.click(`${row} button[data-action="stop"]`);
  await page.waitForSelector(`${row}[data-status="stopped"]`, { timeout: 10_000 });
  await page.waitForSelector('.card[data-machine="torrent"] .st[data-path="stopped"].on', { timeout: 10_000 });
  await page.waitForSelector('.card[data-machine="daemon-torrent"] .st[data-path="stopped"].on', { timeout: 10_000 });
  assert.equal(daemon.daemon.get(uploaded.meta.infoHashHex)!.running, false);
  const stopped = path.join(ARTIFACTS, 'daemon-web-stopped.png');
  await page.screenshot({ path: stopped, fullPage: true });

  // A magnet link through the form.
  await page.fill('#magnet', `magnet:?xt=urn:btih:${magnetTorrent.meta.infoHashHex}&dn=magnetic.bin&x.pe=127.0.0.1:${seeder.session.port}`);
  await page.click('#add-magnet button');
  await page.waitForSelector(`#torrents tr[data-hash="${magnetTorrent.meta.infoHashHex}"][data-percent="100"]`, { timeout: 30_000 });
  // Unwanting a file from the page reaches the daemon.
  await page.locator('#files tr[data-file="webby/file-1.bin"] input[type=checkbox]').uncheck();
  await until(() => daemon.daemon.get(uploaded.meta.infoHashHex)!.saved.wanted[1] === false, { what: 'file 1 unwanted in the daemon' });
  process.stdout.write(`# daemon web UI screenshots: ${seeding} ${stopped}\n`);
  assert.deepEqual(problems, []);
});
