// Builds dist/ with esbuild: one CommonJS bundle per entry, because a CommonJS bundle starts fastest on Node 20 and
// start-up time is what a CLI is judged by. Heavy parts are separate entries that the CLI loads only when a command
// needs them (see LAZY_ENTRIES); the check at the end keeps zod and SQLite out of the CLI bundle.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Source module → the dist file it becomes. An import of one from another bundle stays a require of that file. */
const LAZY_ENTRIES = {
  'src/daemon/main.ts': 'daemon.cjs',
  'src/core/doctor.ts': 'doctor.cjs',
  'src/tui/main.tsx': 'tui.mjs',
};
/** hook-forward runs on every hook of every agent: its own bundle, Node built-ins only (checked below). */
const ENTRIES = { 'src/cli/main.ts': 'cli.cjs', 'src/hook/forward.ts': 'hook.cjs', ...LAZY_ENTRIES };
/** Native addons cannot be bundled. */
const EXTERNAL = ['better-sqlite3'];
/** What the CLI bundle must never contain (each costs tens of milliseconds on every command). */
const FORBIDDEN_IN_CLI = ['node_modules/zod/', 'node_modules/better-sqlite3/', 'node_modules/undici/', 'src/daemon/'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: EXTERNAL,
  define: { __CODEPIPER_VERSION__: JSON.stringify(pkg.version) },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

const lazyEntryPlugin = (self) => ({
  name: 'lazy-entries',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.relative(root, path.resolve(args.resolveDir, args.path)).replaceAll(path.sep, '/');
      for (const [source, out] of Object.entries(LAZY_ENTRIES)) {
        if (source !== self && [target, `${target}.ts`, `${target}.tsx`].includes(source)) return { path: `./${out}`, external: true };
      }
      return undefined;
    });
  },
});

/** The CLI learns each route's method and path from this literal instead of loading the zod contract. */
async function manifestPlugin() {
  const result = await build({ ...common, entryPoints: [path.join(root, 'src/core/api/manifest.ts')], write: false, metafile: false });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
  const literal = JSON.stringify(module.exports.routeManifest);
  return {
    name: 'inline-route-manifest',
    setup(b) {
      b.onLoad({ filter: /src[\\/]core[\\/]api[\\/]manifest\.ts$/ }, () => ({
        contents: `export const routeManifest = ${literal};`,
        loader: 'ts',
      }));
    },
  };
}

fs.rmSync(dist, { recursive: true, force: true });
const inlineManifest = await manifestPlugin();
/**
 * The dashboard is an ES module: Ink's layout engine (yoga) initialises with a top-level await, which a CommonJS
 * bundle cannot hold. Its CommonJS dependencies (React) get a require; React's production build is chosen at build
 * time.
 */
const esmEntry = {
  format: 'esm',
  // Parsing is most of the dashboard's start-up: a minified bundle parses faster.
  minify: true,
  jsx: 'automatic',
  banner: { js: "import { createRequire as __codepiperRequire } from 'node:module'; const require = __codepiperRequire(import.meta.url);" },
  define: { ...common.define, 'process.env.NODE_ENV': '"production"' },
};
/**
 * yoga (Ink's layout engine) carries its WebAssembly as a base64 data: URL and, since Node has fetch, loads it with
 * fetch, which pulls in Node's own HTTP client first: about 25 ms of the dashboard's start-up. Its loader already
 * decodes the base64 itself when fetch is absent; this takes that path. The exact text is checked, so an update of
 * yoga that changes it fails the build instead of silently starting slower.
 */
const YOGA_FETCH = 'function ya(){return w||"function"!=typeof fetch?';
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes(YOGA_FETCH)) throw new Error(`build: ${args.path} no longer contains the wasm loader this build patches; see yogaWithoutFetch in scripts/build.mjs`);
      return { contents: source.replace(YOGA_FETCH, 'function ya(){return true?'), loader: 'js' };
    });
  },
};
/**
 * With CI set, Ink draws nothing until it exits (its mode for logs of non-interactive runs). The dashboard only ever
 * runs on a terminal (runTui refuses anything else), so that mode never applies: a CI variable left in an interactive
 * shell, or a test run under CI, must still see the dashboard.
 */
const inkNeverInCi = {
  name: 'ink-never-in-ci',
  setup(b) {
    b.onResolve({ filter: /^is-in-ci$/ }, () => ({ path: 'is-in-ci', namespace: 'absent' }));
  },
};

/**
 * string-width (how Ink measures text) tells emoji by /^\p{RGI_Emoji}$/v: V8 takes about 50 ms to build and first
 * run that one expression, on every start of the dashboard (its first frame has a "○"). For a width, a cluster that
 * starts with an emoji-presentation character (not a lone regional indicator), a pictograph with VS16, a modifier
 * base with a skin tone, a flag or a keycap is wide: the same verdict on every RGI emoji (compared over U+2000-2BFF,
 * U+1F000-1FAFF with VS15/VS16/skin tones/keycaps, all flag pairs and ZWJ sequences), for a fraction of a
 * millisecond. The exact text is checked, as for yoga.
 */
const RGI_EMOJI = '/^\\p{RGI_Emoji}$/v';
const FAST_EMOJI = '/^(?:(?!\\p{Regional_Indicator})\\p{Emoji_Presentation}|\\p{Extended_Pictographic}\\uFE0F|\\p{Emoji_Modifier_Base}\\p{Emoji_Modifier}|\\p{Regional_Indicator}{2}|[#*0-9]\\uFE0F?\\u20E3)/u';
const stringWidthFastEmoji = {
  name: 'string-width-fast-emoji',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      if (source.includes("from 'emoji-regex'")) return undefined; // an older string-width (used by wrap-ansi)
      if (!source.includes(RGI_EMOJI)) throw new Error(`build: ${args.path} no longer tests emoji the way this build patches; see stringWidthFastEmoji in scripts/build.mjs`);
      return { contents: source.replace(RGI_EMOJI, FAST_EMOJI), loader: 'js' };
    });
  },
};

/** Ink loads its React DevTools bridge (and with it a WebSocket library) only when DEV=true; the build leaves it out. */
const noDevtools = {
  name: 'no-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) => (/[\\/]ink[\\/]build$/.test(args.resolveDir) ? { path: 'ink-devtools', namespace: 'absent' } : undefined));
    b.onLoad({ filter: /^ink-devtools$/, namespace: 'absent' }, () => ({ contents: "throw new Error('React DevTools are not part of this build of CodePiper');" }));
    b.onLoad({ filter: /^is-in-ci$/, namespace: 'absent' }, () => ({ contents: 'export default false;' }));
  },
};

for (const [source, out] of Object.entries(ENTRIES)) {
  const esm = out.endsWith('.mjs');
  const plugins = [lazyEntryPlugin(source), ...(out === 'cli.cjs' || esm ? [inlineManifest] : []), ...(esm ? [noDevtools, inkNeverInCi, yogaWithoutFetch, stringWidthFastEmoji] : [])];
  const result = await build({ ...common, ...(esm ? esmEntry : {}), entryPoints: [path.join(root, source)], outfile: path.join(dist, out), plugins });
  if (esm) {
    const leaks = Object.keys(result.metafile.inputs).filter((input) => ['node_modules/zod/', 'node_modules/better-sqlite3/', 'src/daemon/'].some((forbidden) => input.includes(forbidden)));
    if (leaks.length) {
      console.error(`build: the dashboard bundle must stay a client, but it pulls in:\n  ${leaks.join('\n  ')}`);
      process.exit(1);
    }
  }
  if (out === 'hook.cjs') {
    const packages = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules/'));
    if (packages.length) {
      console.error(`build: hook-forward must use Node built-ins only, but it pulls in:\n  ${packages.join('\n  ')}`);
      process.exit(1);
    }
  }
  if (out === 'cli.cjs') {
    const inputs = Object.keys(result.metafile.inputs);
    const leaks = inputs.filter((input) => FORBIDDEN_IN_CLI.some((forbidden) => input.includes(forbidden)));
    if (leaks.length) {
      console.error(`build: the CLI bundle must stay lean, but it pulls in:\n  ${leaks.join('\n  ')}`);
      process.exit(1);
    }
  }
}
console.log(`built ${Object.values(ENTRIES).map((out) => `dist/${out}`).join(', ')}`);
