// What every case is handed, and the shape of a case.
import type { BenchConfig } from './config.js';
import type { Clients, Missing } from './env-info.js';
import type { CaseResult, Measure } from './results.js';
import { missingMeasure } from './results.js';

export interface Ctx {
  config: BenchConfig;
  clients: Clients;
  missing: Missing[];
  /** The results of the cases run before this one (the large-payload RSS is judged against the transfer's). */
  previous: CaseResult[];
}

export interface BenchCase {
  /** For BENCH_ONLY. */
  id: string;
  run(ctx: Ctx): Promise<CaseResult[]>;
}

export const actorrentName = (ctx: Ctx) => `actorrent ${ctx.clients.actorrent.version} (${ctx.clients.actorrent.cli})`;
export const libtorrentName = (ctx: Ctx) => `libtorrent ${ctx.clients.libtorrent ?? ''}`.trim();
export const webtorrentName = (ctx: Ctx) => `WebTorrent ${ctx.clients.webtorrent ?? ''}`.trim();
/** Debian's package version (0.0~git20210823.110868e-3) names the upstream snapshot. */
export const opentrackerName = (ctx: Ctx) => `opentracker ${/git\d{8}/.exec(ctx.clients.opentracker ?? '')?.[0] ?? ctx.clients.opentracker ?? ''}`.trim();

/** The measure of a client that is not installed: "missing", with how to install it. */
export function notInstalled(ctx: Ctx, client: string, name: string): Measure {
  return missingMeasure(name, ctx.missing.find((m) => m.client === client)?.install ?? 'not installed');
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
