// Frame decoder throughput: piece messages in 64 KiB socket-sized chunks. The bar: ~30,000 blocks/s
// (500 MB/s) must cost a small share of one core.
import { FrameDecoder, encodeMessage } from '../src/protocol/wire/index.js';

const frames = Array.from({ length: 64 }, (_, i) => encodeMessage({ type: 'piece', index: i, begin: 0, block: Buffer.alloc(16384, i) }));
const stream = Buffer.concat(frames);
const chunks: Buffer[] = [];
for (let at = 0; at < stream.length; at += 65536) chunks.push(stream.subarray(at, at + 65536));
const decoder = new FrameDecoder();
const rounds = 2000;
let blocks = 0;
const started = performance.now();
for (let r = 0; r < rounds; r++) for (const c of chunks) blocks += decoder.push(c).length;
const seconds = (performance.now() - started) / 1000;
console.log(`wire decoder: ${blocks} blocks of 16 KiB in ${seconds.toFixed(2)} s = ${(blocks / seconds).toFixed(0)} blocks/s, ${((blocks * 16384) / seconds / 1e6).toFixed(0)} MB/s`);
