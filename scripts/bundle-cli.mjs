// Start-up: node loads one CommonJS file much faster than a tree of ES modules (the ESM loader alone
// costs ~25 ms of a 145 ms `actorrent --help`). So the entry point, with commander, is bundled into
// dist/cli/main.cjs; each subcommand stays an ES module in dist/, imported only when it runs.
//
// The peer commands (download, seed) are bundled too, over tsc's output, with rxjs and xstate
// tree-shaken in: loading rxjs's CommonJS build alone (every operator) cost ~170 ms of CPU and
// ~10 MiB per process, and a swarm is many processes started at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

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

/** Modules the entry point loads from dist/ too: the command bundles leave them there, so each has one copy. */
const SHARED = ['src/cli/units.ts', 'src/cli/errors.ts', 'src/protocol/errors.ts', 'src/cli/hashing-threads.ts', 'src/env/hasher.ts'].map((file) => path.join(root, file));

const commandBundle = (name) => ({
  entryPoints: [`src/cli/commands/${name}.ts`],
  outfile: `dist/cli/commands/${name}.js`,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'bundle',
  external: ['ws', 'prom-client', 'commander'],
  // Only src/version.ts reads import.meta.url (for ../package.json, from dist/): give it that place.
  define: { 'import.meta.url': '__distRootModuleUrl' },
  banner: { js: "const __distRootModuleUrl = new URL('../../version.js', import.meta.url).href;" },
  plugins: [
    {
      name: 'shared-and-esm',
      setup(b) {
        // rxjs's exports map gives node its CommonJS build, which cannot be tree-shaken.
        b.onResolve({ filter: /^rxjs$/ }, () => ({ path: path.join(root, 'node_modules/rxjs/dist/esm/index.js') }));
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          const resolved = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
          if (!SHARED.includes(resolved)) return undefined;
          const distFile = path.join(root, 'dist', path.relative(path.join(root, 'src'), resolved)).replace(/\.ts$/, '.js');
          return { path: `./${path.relative(path.join(root, 'dist/cli/commands'), distFile)}`.replace(/^\.\/\.\.\//, '../'), external: true };
        });
      },
    },
  ],
  logLevel: 'warning',
});

await Promise.all(['download', 'seed'].map((name) => build(commandBundle(name))));
