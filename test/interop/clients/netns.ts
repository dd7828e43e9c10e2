import { fileURLToPath } from 'node:url';
import { type BackgroundProcess, startBackground } from './background.js';
import { runBounded } from './bounded.js';

/*
 * Separate "hosts" on one machine: network namespaces joined by a bridge in the root namespace.
 * Each namespace has one veth with an address from a private test range and no route beyond that
 * /24, and the bridge has no address, so traffic can only go between the namespaces made here.
 * Every name starts with `actns<pid>`, so parallel runs do not clash and the leftovers of a run
 * that died (its pid gone) can be recognised and removed.
 */

const PREFIX = 'actns';
// actns<pid>h<i> (namespace), actns<pid>v<i> (its veth), actns<pid>b<i> (the root end), actns<pid>br.
const OURS = new RegExp(`^${PREFIX}(\\d+)(?:h\\d+|v\\d+|b\\d+|br)$`);

export interface Host {
  /** The network namespace. */
  ns: string;
  address: string;
}

export interface HostNetwork {
  hosts: Host[];
  /** Runs `command` inside the host's namespace, bounded by `timeout` (which runs outside it). */
  exec(host: Host, command: string, args: string[], seconds: number): BackgroundProcess;
  /** Deletes the namespaces, veths and bridge; never throws, reports what it could not remove. */
  remove(): Promise<string[]>;
}

async function ip(args: string[]): Promise<string> {
  const r = await runBounded('ip', args, 10);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function ourNamespaces(): Promise<string[]> {
  return (await ip(['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '').filter((n) => OURS.test(n));
}

async function ourLinks(): Promise<string[]> {
  // `ip -o link` lines: "6: actns12b1@if7: <BROADCAST,…"
  return (await ip(['-o', 'link', 'show']))
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((n) => OURS.test(n));
}

async function removeNames(namespaces: string[], links: string[]): Promise<string[]> {
  const failures: string[] = [];
  for (const ns of namespaces) await ip(['netns', 'del', ns]).catch((e: Error) => failures.push(e.message));
  // Deleting a namespace removes its veth and, a moment later, the peer end; delete the root ends
  // and the bridge ourselves rather than rely on that timing.
  const remaining = new Set(await ourLinks().catch(() => links));
  for (const link of links) {
    if (remaining.has(link)) await ip(['link', 'del', link]).catch((e: Error) => (/Cannot find device/.test(e.message) ? undefined : failures.push(e.message)));
  }
  return failures;
}

/** Removes namespaces and links left by earlier runs whose process is gone; returns their names. */
export async function removeLeftovers(): Promise<string[]> {
  const stale = (name: string) => !alive(Number(OURS.exec(name)![1]));
  const namespaces = (await ourNamespaces()).filter(stale);
  const links = (await ourLinks()).filter(stale);
  await removeNames(namespaces, links);
  return [...namespaces, ...links];
}

/**
 * Makes `count` hosts `${subnet}.1` … `${subnet}.count` (/24) on one bridge. If any step fails, what
 * was made is removed before the error is thrown.
 */
export async function createHostNetwork(count: number, subnet = '10.201.0'): Promise<HostNetwork> {
  const base = `${PREFIX}${process.pid}`;
  const bridge = `${base}br`;
  const hosts: Host[] = [];
  const namespaces: string[] = [];
  const links: string[] = [];
  const remove = () => removeNames(namespaces, links); // the root ends, then the bridge
  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    links.push(bridge);
    await ip(['link', 'set', bridge, 'up']);
    for (let i = 1; i <= count; i++) {
      const ns = `${base}h${i}`;
      const inner = `${base}v${i}`;
      const outer = `${base}b${i}`;
      const address = `${subnet}.${i}`;
      await ip(['netns', 'add', ns]);
      namespaces.push(ns);
      await ip(['link', 'add', inner, 'type', 'veth', 'peer', 'name', outer]);
      links.unshift(outer);
      await ip(['link', 'set', inner, 'netns', ns]);
      await ip(['link', 'set', outer, 'master', bridge]);
      await ip(['link', 'set', outer, 'up']);
      await ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', inner]);
      await ip(['-n', ns, 'link', 'set', inner, 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      hosts.push({ ns, address });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    hosts,
    exec: (host, command, args, seconds) => startBackground('ip', ['netns', 'exec', host.ns, command, ...args], seconds),
    remove,
  };
}

const cliMain = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** The actorrent CLI (from source) as `exec` arguments: [node, ...args]. */
export function actorrentCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', tsx, cliMain, ...args]];
}
