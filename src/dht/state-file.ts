import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MainlineDht } from '../mainline-dht.js';
import type { SessionDhtOptions } from '../session-dht.js';
import { decodeDhtState, encodeDhtState } from './saved-state.js';

/** The DHT's node id and routing table in a file, between runs (`download`/`seed` and the daemon). */

/** The routing table saved by an earlier run (nothing when there is none or it is unreadable). */
export async function loadDhtState(file: string): Promise<Pick<SessionDhtOptions, 'nodeId' | 'savedNodes'>> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes) return {};
  const state = decodeDhtState(bytes);
  return { ...(state.id ? { nodeId: state.id } : {}), savedNodes: state.nodes };
}

/** Saves the node id and routing table (atomically: a torn file would only cost a bootstrap, but still). */
export async function saveDhtState(file: string, dht: MainlineDht): Promise<void> {
  const bytes = encodeDhtState({ id: dht.nodeId, nodes: dht.nodes() });
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.part`;
  await writeFile(temporary, bytes);
  await rename(temporary, file);
}

