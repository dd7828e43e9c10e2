import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Observers } from '../../src/cli/observers.js';
import { startDashboard } from '../../src/ui/dashboard.js';
import { requireTool } from '../support/tools.js';
import { startLoopbackSwarm } from './loopback-swarm.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ?? path.join(os.tmpdir(), 'actorrent-artifacts');
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

test('dashboard in headless Chromium: loads only from loopback, shows the machines, follows a download live', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, [CHROMIUM, '--version'], 'chromium')) return;
  const dashboard = await startDashboard({ port: 0, log: () => undefined });
  const observers = new Observers([dashboard]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'], timeout: 30_000 });
  let swarm: Awaited<ReturnType<typeof startLoopbackSwarm>> | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && !LOOPBACK_HOSTS.has(url.hostname) && !LOOPBACK_HOSTS.has(url.host)) problems.push(`request to a non-loopback host: ${request.url()}`);
    });
    page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    await page.goto(dashboard.url);
    await page.waitForSelector('#connection.open', { timeout: 10_000 });

    // 3 MB at 1 MB/s: the leecher downloads for about three seconds.
    swarm = await startLoopbackSwarm(observers, { length: 3_000_000, pieceLength: 32 * 1024, downloadLimit: 1_000_000 });
    const leecherTorrent = '.card[data-machine="torrent"][data-label="leecher"]';
    await page.waitForSelector(`${leecherTorrent} .st[data-path="active.data.downloading"].on`, { timeout: 15_000 });
    // A peer appears: its connection's statechart and its row in the leecher's peer table.
    await page.waitForSelector('.card[data-machine="peer"][data-label="leecher"] .st[data-path="active"].on', { timeout: 15_000 });
    await page.waitForSelector('.torrent[data-label="leecher"] tbody tr', { timeout: 15_000 });
    const downloading = await page.locator('.torrent[data-label="leecher"]').getAttribute('data-state');
    assert.equal(downloading, 'downloading');

    mkdirSync(ARTIFACTS, { recursive: true });
    const during = path.join(ARTIFACTS, 'dashboard-downloading.png');
    await page.screenshot({ path: during, fullPage: true });

    await swarm.leecher.whenComplete();
    await page.waitForSelector(`${leecherTorrent} .st[data-path="active.data.seeding"].on`, { timeout: 15_000 });
    assert.equal(await page.locator(`${leecherTorrent} .st[data-path="active.data.downloading"].on`).count(), 0, 'downloading is no longer highlighted');
    await page.waitForSelector('.torrent[data-label="leecher"][data-state="seeding"]', { timeout: 10_000 });

    // Every machine of a peer session is drawn, by name.
    const machines = await page.locator('.card[data-label="leecher"]').evaluateAll((cards) => cards.map((c) => (c as unknown as { dataset: Record<string, string> }).dataset['machine']));
    for (const machine of ['server', 'torrent', 'file-manager', 'client', 'downloader', 'uploader', 'peer']) assert.ok(machines.includes(machine), `${machine} is shown`);
    const peerRow = await page.locator('.torrent[data-label="leecher"] tbody tr').first().innerText();
    assert.match(peerRow, /127\.0\.0\.1:\d+/);
    assert.match(peerRow, /actorrent/);

    // The piece map is drawn in "have" green once complete.
    const pieceColours = await page.locator('.torrent[data-label="leecher"] canvas.pieces').evaluate((canvas) => {
      const c = canvas as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let green = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 1]! > 120 && data[i]! < 90) green++;
      return green;
    });
    assert.ok(pieceColours > 0, 'the piece map shows pieces we have');

    const after = path.join(ARTIFACTS, 'dashboard-seeding.png');
    await page.screenshot({ path: after, fullPage: true });
    process.stdout.write(`# dashboard screenshots: ${during} ${after}\n`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await swarm?.close();
    await observers.close();
  }
});
