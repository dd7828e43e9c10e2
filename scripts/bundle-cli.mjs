// Start-up: node loads one CommonJS file much faster than a tree of ES modules (the ESM loader alone
// costs ~25 ms of a 145 ms `actorrent --help`). So the entry point, with commander, is bundled into
// dist/cli/main.cjs; each subcommand stays an ES module in dist/, imported only when it runs.
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
  // The subcommands and the error classes they throw are loaded with import() from dist/, as built
  // by tsc: one copy of each module, so `instanceof` holds.
  external: ['./commands/*', './errors.js', './units.js', '../protocol/errors.js'],
  // import.meta does not exist in CommonJS: give the bundle its own file URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

/*
 * `actorrent tracker` is a server meant to run for months in little memory, so its module replaces
 * tsc's with one ES module bundle: the ~90 modules it would load become one, and xstate comes as its
 * ES build, where node's `import` of the xstate package goes through its CommonJS build and the
 * CommonJS export scanner. Together ~9 MiB of resident memory at start (58 → 50 MiB). The error
 * classes main.ts tests with `instanceof`, and the observers loaded only on demand (--trace,
 * --inspect, --ui), stay the modules of dist/.
 */
const SHARED = ['src/cli/errors.ts', 'src/cli/units.ts', 'src/protocol/errors.ts'];
const ON_DEMAND = ['src/trace/', 'src/inspect/', 'src/ui/'];

await bundleCommand('tracker');

async function bundleCommand(name) {
  const outfile = `dist/cli/commands/${name}.js`;
  await build({
    entryPoints: [`src/cli/commands/${name}.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too (xstate), by their `module` (ES) entry.
    plugins: [keepInDist(path.dirname(path.join(root, outfile)))],
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Imports of SHARED modules, and import() of ON_DEMAND ones, left to dist/'s modules, from the bundle's folder. */
function keepInDist(outDir) {
  return {
    name: 'keep-in-dist',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const source = path.relative(root, path.resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
        const keep = SHARED.includes(source) || (args.kind === 'dynamic-import' && ON_DEMAND.some((folder) => source.startsWith(folder)));
        if (!keep) return undefined;
        const built = path.join(root, 'dist', path.relative('src', source).replace(/\.ts$/, '.js'));
        const relative = path.relative(outDir, built);
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };
}
