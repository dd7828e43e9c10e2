import { ObserverError, type SessionObserver } from '../session-observer.js';
import { messageOf } from '../util/message-of.js';
import { type LineWriter, openLineWriter } from './file-writer.js';
import { type TraceRecorder, createTraceRecorder } from './recorder.js';

/** The trace file of a command, opened for writing; ObserverError (naming the file) when it cannot be. */
export async function openTraceFile(file: string): Promise<LineWriter> {
  return openLineWriter(file).catch((err: unknown) => {
    throw new ObserverError(`cannot write the trace ${file}: ${messageOf(err)}`);
  });
}

/** `--trace FILE` for `download`, `seed`, `tracker` and `demo`: every session of the command into one trace file. */
export async function traceObserver(file: string, context: { command: string; argv: readonly string[] }): Promise<SessionObserver & { recorder: TraceRecorder }> {
  const writer = await openTraceFile(file);
  const recorder = createTraceRecorder({ write: writer.write, close: writer.close, meta: {
      command: context.command,
      argv: [...context.argv],
      // A tracker has no torrent to wait for: the header goes out at once.
      ...(context.command === 'tracker' ? { infoHash: null } : {}),
    },
  });
  const taps = new Map<string, ReturnType<TraceRecorder['forSession']>>();
  const tapsOf = (label: string) => {
    let t = taps.get(label);
    if (!t) taps.set(label, (t = recorder.forSession(label)));
    return t;
  };
  return {
    recorder,
    inspect: (label, event) => tapsOf(label).inspect(event),
    wireTap: (label, torrent, peer) => tapsOf(label).wireTap(torrent, peer),
    torrentAdded: (label, _session, handle) => recorder.attach(label, handle),
    close: () => recorder.close(),
  };
}
