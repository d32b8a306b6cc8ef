// Builds dist/ with esbuild: one CommonJS bundle per entry, because a CommonJS bundle starts fastest on Node 20 and
// start-up time is what a CLI is judged by. Heavy parts are separate entries that the CLI loads only when a command
// needs them (see LAZY_ENTRIES); the check at the end keeps zod and SQLite out of the CLI bundle.
//
//   node scripts/build.mjs [--outdir <dir>] [--version <version>]
//
// --outdir builds elsewhere than dist/ (the directory is emptied first); --version stamps another version than
// package.json's. Tests use both to make a real build of "another version" (a daemon to be upgraded) from this tree.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { outdir: { type: 'string' }, version: { type: 'string' } } });
const dist = args.outdir ? path.resolve(args.outdir) : path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = args.version ?? pkg.version;

/** Source module → the dist file it becomes. An import of one from another bundle stays a require of that file. */
const LAZY_ENTRIES = {
  'src/daemon/main.ts': 'daemon.cjs',
  'src/core/doctor.ts': 'doctor.cjs',
  'src/tui/main.tsx': 'tui.mjs',
  // `codepiper config` with no daemon running reads and writes the file through the same code as the daemon.
  'src/core/config/settings.ts': 'settings.cjs',
  // The QR code encoder, for `codepiper auth mfa` alone.
  'src/cli/qr.ts': 'qr.cjs',
  // `codepiper attach` against a remote daemon: the terminal bridge's WebSocket client (ws) loads only then.
  'src/client/remote-attach.ts': 'remote-attach.cjs',
};
/** hook-forward runs on every hook of every agent: its own bundle, Node built-ins only (checked below). */
const ENTRIES = { 'src/cli/main.ts': 'cli.cjs', 'src/hook/forward.ts': 'hook.cjs', ...LAZY_ENTRIES };
/** Native addons cannot be bundled. */
const EXTERNAL = ['better-sqlite3', '@node-rs/argon2', 'node-pty'];
/** What each bundle must never contain, and why: the build fails, naming what got in. */
const FORBIDDEN = {
  // each costs tens of milliseconds on every command
  'cli.cjs': { why: 'the CLI bundle must stay lean', inputs: ['node_modules/zod/', 'node_modules/better-sqlite3/', 'node_modules/undici/', 'node_modules/qrcode/', 'src/daemon/', 'node_modules/ws/'] },
  'hook.cjs': { why: 'hook-forward must use Node built-ins only', inputs: ['node_modules/'] },
  'remote-attach.cjs': { why: 'remote attach is a client: the contract (zod) and the daemon stay out', inputs: ['node_modules/zod/', 'node_modules/better-sqlite3/', 'src/daemon/'] },
  'tui.mjs': { why: 'the dashboard bundle must stay a client', inputs: ['node_modules/zod/', 'node_modules/better-sqlite3/', 'src/daemon/'] },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: EXTERNAL,
  define: { __CODEPIPER_VERSION__: JSON.stringify(version) },
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
 * A dependency's file with one exact piece of text replaced. The text is checked, so an update of the dependency
 * that changes it fails the build (naming the plugin) instead of silently losing the change. `skip` passes over a
 * file the filter also matches that is not the one meant.
 */
function patchExactly(name, filter, find, replace, skip = () => false) {
  return {
    name,
    setup(b) {
      b.onLoad({ filter }, (args) => {
        const source = fs.readFileSync(args.path, 'utf8');
        if (skip(source)) return undefined;
        if (!source.includes(find)) throw new Error(`build: ${args.path} no longer contains the text that ${name} (scripts/build.mjs) replaces`);
        return { contents: source.replace(find, replace), loader: 'js' };
      });
    },
  };
}

/** A module replaced by `contents`: `filter` picks the import, `importedFrom` (optional) the directory importing it. */
function stubModule(name, filter, contents, importedFrom) {
  return {
    name,
    setup(b) {
      b.onResolve({ filter }, (args) => (!importedFrom || importedFrom.test(args.resolveDir) ? { path: name, namespace: 'stub' } : undefined));
      b.onLoad({ filter: new RegExp(`^${name}$`), namespace: 'stub' }, () => ({ contents }));
    },
  };
}

/**
 * yoga (Ink's layout engine) carries its WebAssembly as a base64 data: URL and, since Node has fetch, loads it with
 * fetch, which pulls in Node's own HTTP client first: about 25 ms of the dashboard's start-up. Its loader already
 * decodes the base64 itself when fetch is absent; this takes that path.
 */
const yogaWithoutFetch = patchExactly(
  'yoga-without-fetch',
  /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
  'function ya(){return w||"function"!=typeof fetch?',
  'function ya(){return true?',
);

/**
 * string-width (how Ink measures text) tells emoji by /^\p{RGI_Emoji}$/v: V8 takes about 50 ms to build and first
 * run that one expression, on every start of the dashboard (its first frame has a "○"). For a width, a cluster that
 * starts with an emoji-presentation character (not a lone regional indicator), a pictograph with VS16, a modifier
 * base with a skin tone, a flag or a keycap is wide: the same verdict on every RGI emoji (compared over U+2000-2BFF,
 * U+1F000-1FAFF with VS15/VS16/skin tones/keycaps, all flag pairs and ZWJ sequences), for a fraction of a
 * millisecond. The older string-width that wrap-ansi uses (with emoji-regex) is left alone.
 */
const stringWidthFastEmoji = patchExactly(
  'string-width-fast-emoji',
  /[\\/]node_modules[\\/]string-width[\\/]index\.js$/,
  '/^\\p{RGI_Emoji}$/v',
  '/^(?:(?!\\p{Regional_Indicator})\\p{Emoji_Presentation}|\\p{Extended_Pictographic}\\uFE0F|\\p{Emoji_Modifier_Base}\\p{Emoji_Modifier}|\\p{Regional_Indicator}{2}|[#*0-9]\\uFE0F?\\u20E3)/u',
  (source) => source.includes("from 'emoji-regex'"),
);

/**
 * With CI set, Ink draws nothing until it exits (its mode for logs of non-interactive runs). The dashboard only ever
 * runs on a terminal (runTui refuses anything else), so that mode never applies: a CI variable left in an interactive
 * shell, or a test run under CI, must still see the dashboard.
 */
const inkNeverInCi = stubModule('is-in-ci', /^is-in-ci$/, 'export default false;');

/** Ink loads its React DevTools bridge (and with it a WebSocket library) only when DEV=true; the build leaves it out. */
const noDevtools = stubModule('ink-devtools', /^\.\/devtools\.js$/, "throw new Error('React DevTools are not part of this build of CodePiper');", /[\\/]ink[\\/]build$/);

/**
 * simple-git logs through `debug`, which asks the optional supports-color package how many colours stderr takes (in a
 * try, so it is left external). Its log only ever shows with DEBUG=simple-git; basic colours do for that.
 */
const debugWithoutSupportsColor = stubModule('supports-color', /^supports-color$/, 'module.exports = {};');

/**
 * ws tries two optional native helpers (bufferutil, utf-8-validate) in a try and falls back to its own JavaScript;
 * they are not installed, so the build answers the require with the same failure instead of leaving it external.
 */
const wsWithoutNativeHelpers = stubModule('ws-native-helpers', /^(bufferutil|utf-8-validate)$/, "throw new Error('not part of this build of CodePiper');");

for (const [source, out] of Object.entries(ENTRIES)) {
  const esm = out.endsWith('.mjs');
  const plugins = [lazyEntryPlugin(source), ...(out === 'cli.cjs' || out === 'hook.cjs' || esm ? [inlineManifest] : []), ...(esm ? [noDevtools, inkNeverInCi, yogaWithoutFetch, stringWidthFastEmoji] : [])];
  if (out === 'daemon.cjs') plugins.push(debugWithoutSupportsColor);
  plugins.push(wsWithoutNativeHelpers);
  const result = await build({ ...common, ...(esm ? esmEntry : {}), entryPoints: [path.join(root, source)], outfile: path.join(dist, out), plugins });
  const rule = FORBIDDEN[out];
  const leaks = rule ? Object.keys(result.metafile.inputs).filter((input) => rule.inputs.some((forbidden) => input.includes(forbidden))) : [];
  if (leaks.length) {
    console.error(`build: ${rule.why}, but it pulls in:\n  ${leaks.join('\n  ')}`);
    process.exit(1);
  }
}
const shown = (file) => (path.relative(root, file).startsWith('..') ? file : path.relative(root, file));
console.log(`built ${Object.values(ENTRIES).map((out) => shown(path.join(dist, out))).join(', ')}${version === pkg.version ? '' : ` (version ${version})`}`);
