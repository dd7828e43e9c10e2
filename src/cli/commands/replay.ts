import type { LineWriter } from '../../trace/file-writer.js';
import { INVARIANTS } from '../../trace/invariants.js';
import { TraceError, readTrace } from '../../trace/read-trace.js';
import { type ReplayResult, replayTrace } from '../../trace/replay.js';
import { CliError } from '../errors.js';

/** `actorrent replay <trace-file>`: options as commander hands them over. */
export interface ReplayCommandOptions {
  checkOnly?: boolean;
  node?: string;
  json?: boolean;
  /** Write the replayed node's own trace here. */
  saveTrace?: string;
}

/**
 * Checks a trace's invariants, then replays it against the real actors and checks what they send.
 * Exit 0 with a summary; a broken invariant or a bad trace is a CliError (exit 1) naming the line.
 */
export async function runReplay(file: string, options: ReplayCommandOptions): Promise<void> {
  let writer: LineWriter | undefined;
  let result: ReplayResult;
  try {
    const trace = await readTrace(file);
    if (options.saveTrace) writer = await (await import('../../trace/file-writer.js')).openLineWriter(options.saveTrace);
    result = await replayTrace(trace, { checkOnly: options.checkOnly, node: options.node, traceLine: writer?.write });
  } catch (err) {
    if (err instanceof TraceError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  } finally {
    await writer?.close();
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ event: result.violation ? 'violation' : 'ok', file, ...result })}\n`);
  else printSummary(result);
  const v = result.violation;
  if (v) {
    const where = v.phase === 'recorded' ? `at ${file} line ${v.line}` : `in the replay, after ${file} line ${v.line}`;
    throw new CliError(`invariant ${v.invariant} broken ${where} (node ${v.node}, peer ${v.peer}): ${v.message}`);
  }
}

function printSummary(result: ReplayResult): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const { recorded, replay } = result;
  write(`recorded: ${recorded.records} records, ${recorded.outbound} outbound messages checked${result.violation?.phase === 'recorded' ? '' : ', no invariant broken'}`);
  if (replay) {
    write(
      `replayed node ${JSON.stringify(replay.node)}: ${replay.peers} peers, ${replay.messagesReplayed} messages replayed (${replay.messagesSkipped} skipped), ` +
        `${replay.blocksAnswered} blocks sent by the fake peers, ${replay.piecesVerified}/${replay.pieceCount} pieces verified, ${(replay.simulatedMs / 1000).toFixed(1)} s simulated`,
    );
    write(`replay: ${replay.outbound} messages sent by actorrent checked${result.violation ? '' : ', no invariant broken'}`);
  }
  const counts = replay?.checked ?? recorded.checked;
  write(`invariants: ${INVARIANTS.map((name) => `${name} ×${counts[name]}`).join(', ')}`);
}
