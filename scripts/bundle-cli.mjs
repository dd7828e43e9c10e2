// Start-up: node loads one CommonJS file much faster than a tree of ES modules (the ESM loader alone
// costs ~25 ms of a 145 ms `actorrent --help`). So the entry point, with commander, is bundled into
// dist/cli/main.cjs; each subcommand stays an ES module in dist/, imported only when it runs.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

/*
 * Some commands replace tsc's module with one ES module bundle, packages included by their ES
 * builds (tree-shaken), where node's `import` of xstate and rxjs goes through their CommonJS builds
 * (rxjs's with every operator):
 * - `tracker`, a server meant to run for months in little memory: ~90 modules become one, ~9 MiB of
 *   resident memory less at start (58 → 50 MiB);
 * - `download` and `seed`, the peer processes: ~0.25 s less CPU to start (0.67 → 0.39–0.48 s), which
 *   counts when a swarm starts many at once.
 * The modules the entry point also loads (error classes it tests with `instanceof`, the hashing
 * threads it starts early and their hasher) stay the modules of dist/, one copy each.
 */
const SHARED = ['src/cli/errors.ts', 'src/cli/units.ts', 'src/protocol/errors.ts', 'src/cli/hashing-threads.ts', 'src/env/hasher.ts'];
/** Observers loaded only on demand (--trace, --inspect, --ui): the tracker leaves them to dist/. */
const ON_DEMAND = ['src/trace/', 'src/inspect/', 'src/ui/'];

/**
 * `download` and `seed` are built together, split into chunks (commands/bundle-*.js, beside them so
 * the relative imports of dist/'s modules hold): the code both run is one chunk, and what they
 * import() only on demand (the dashboard with `ws`, the trace and inspector observers) stays in
 * chunks of its own that a plain peer process never parses: ~70 ms less CPU to start each.
 */
const CHUNK_PREFIX = 'bundle-';

async function bundleCommands(names, { onDemandInDist = false, split = false } = {}) {
  const outdir = 'dist/cli/commands';
  // Chunk names change with their content: the last build's go first.
  if (split) for (const file of readdirSync(path.join(root, outdir))) if (file.startsWith(CHUNK_PREFIX)) rmSync(path.join(root, outdir, file));
  const { metafile } = await build({
    entryPoints: names.map((name) => `src/cli/commands/${name}.ts`),
    outdir,
    allowOverwrite: true,
    bundle: true,
    splitting: split,
    chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ws', 'prom-client', 'commander'],
    // Only src/version.ts reads import.meta.url (for ../package.json, from dist/): give it that place.
    define: { 'import.meta.url': '__distRootModuleUrl' },
    banner: { js: "const __distRootModuleUrl = new URL('../../version.js', import.meta.url).href;" },
    plugins: [rxjsEsm, keepInDist(path.join(root, outdir), onDemandInDist)],
    sourcemap: true,
    // Escapes non-ASCII characters in strings and identifiers; asciiComments() sees to the comments.
    charset: 'ascii',
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of Object.keys(metafile.outputs)) if (file.endsWith('.js')) asciiComments(path.join(root, file));
}

/**
 * V8 keeps a module's source for as long as the process runs, one byte per character if every
 * character is Latin-1, else two: four curly apostrophes in xstate's doc comments, which esbuild
 * keeps, made the tracker hold its 196 KB bundle as 392 KB. With `charset: 'ascii'` whatever
 * non-ASCII is left is in comments: each UTF-16 unit becomes one '?', so no column moves and the
 * source map still holds.
 */
function asciiComments(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, '?');
  if (ascii !== text) writeFileSync(file, ascii);
}

/** rxjs's exports map gives node its CommonJS build, which cannot be tree-shaken: take its ES build. */
const rxjsEsm = {
  name: 'rxjs-esm',
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: path.join(root, 'node_modules/rxjs/dist/esm/index.js') }));
  },
};

/** Imports of SHARED modules (and import() of ON_DEMAND ones, if asked) left to dist/'s modules, from the bundle's folder. */
function keepInDist(outDir, onDemandInDist) {
  return {
    name: 'keep-in-dist',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const source = path.relative(root, path.resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
        const keep = SHARED.includes(source) || (onDemandInDist && args.kind === 'dynamic-import' && ON_DEMAND.some((folder) => source.startsWith(folder)));
        if (!keep) return undefined;
        const built = path.join(root, 'dist', path.relative('src', source).replace(/\.ts$/, '.js'));
        const relative = path.relative(outDir, built);
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };
}

await Promise.all([bundleCommands(['tracker'], { onDemandInDist: true }), bundleCommands(['download', 'seed'], { split: true })]);
