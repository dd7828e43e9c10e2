// Start-up: node loads one CommonJS file much faster than a tree of ES modules (the ESM loader alone
// costs ~25 ms of a 145 ms `actorrent --help`). So the entry point, with commander, is bundled into
// dist/cli/main.cjs; each subcommand stays an ES module in dist/, imported only when it runs.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The subcommands, the error classes they throw and the early hashing threads are loaded with
  // import() from dist/, as built by tsc: one copy of each module, so `instanceof` holds and the
  // threads started here are the ones run-torrent takes.
  external: ['./commands/*', './errors.js', './units.js', '../protocol/errors.js', './hashing-threads.js'],
  // import.meta does not exist in CommonJS: give the bundle its own file URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
