import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What `npm install -g codepiper` gets: the tarball's files, and the runtime dependencies the bundles still load.
 * Both read the built dist/ (npm test builds first).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; man?: string[] };

/** Files the tarball must hold; anything else in it fails the test by name. */
const REQUIRED = ['package.json', 'README.md', 'bin/codepiper', 'man/codepiper.1', 'dist/cli.cjs', 'dist/hook.cjs', 'dist/daemon.cjs', 'dist/doctor.cjs', 'dist/tui.mjs', 'dist/settings.cjs'];
const ALLOWED = (file: string) => REQUIRED.includes(file) || file === 'LICENSE' || /^dist\/[\w./-]+$/.test(file);
/** A bundle of today is about 1 MB; one of several MB means a dependency got in whole (a source map, a binary). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Unpacked, all files: about 2.7 MB today. */
const MAX_TOTAL_BYTES = 5 * 1024 * 1024;

function bundles(): string[] {
  const files = fs.existsSync(DIST) ? fs.readdirSync(DIST).filter((file) => /\.(c|m)?js$/.test(file)) : [];
  if (!files.length) throw new Error(`no bundles in ${DIST}: run \`node scripts/build.mjs\` first`);
  return files;
}

describe('the npm package', () => {
  it('packs the man page, the bundles, bin/ and README, and nothing else large', () => {
    bundles();
    // Without the man field, `npm install -g` puts the page nowhere `man` looks.
    expect(pkg.man, 'package.json "man"').toContain('./man/codepiper.1');
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; it was built before the tests.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [packed] = JSON.parse(out) as Array<{ files: Array<{ path: string; size: number }>; unpackedSize: number }>;
    const files = packed!.files.map((file) => file.path);
    expect(REQUIRED.filter((file) => !files.includes(file)), 'missing from the tarball').toEqual([]);
    expect(files.filter((file) => !ALLOWED(file)), 'not meant to be in the tarball').toEqual([]);
    const large = packed!.files.filter((file) => file.size > MAX_FILE_BYTES).map((file) => `${file.path} (${file.size} bytes)`);
    expect(large, `files over ${MAX_FILE_BYTES} bytes`).toEqual([]);
    const biggest = [...packed!.files].sort((a, b) => b.size - a.size).slice(0, 3).map((file) => `${file.path} ${file.size}`);
    expect(packed!.unpackedSize, `the unpacked package is over ${MAX_TOTAL_BYTES} bytes; largest: ${biggest.join(', ')}`).toBeLessThanOrEqual(MAX_TOTAL_BYTES);
  });

  it('lists in dependencies exactly the packages the bundles leave external, and nothing they bundle', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    // esbuild writes every import it leaves external as require("x"), import("x") or from "x", in double quotes.
    const external = new Map<string, string[]>();
    for (const file of bundles()) {
      const text = fs.readFileSync(path.join(DIST, file), 'utf8');
      // (a "from" right after a quote is a string's end, as in a bundled enum { from: 6, to: 7 }, not an import)
      for (const match of text.matchAll(/(?:\brequire\(|\bimport\(|(?<!")\bfrom ?)"([^".][^"]*)"/g)) {
        const specifier = match[1]!;
        // Only what can name a package: the words "from" and a quote also meet inside bundled strings.
        if (!/^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(\/[\w.~/-]*)?$/i.test(specifier)) continue;
        if (builtins.has(specifier) || builtins.has(specifier.split('/')[0]!)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        external.set(name, [...new Set([...(external.get(name) ?? []), file])]);
      }
    }
    const declared = Object.keys(pkg.dependencies ?? {}).sort();
    const loaded = [...external.keys()].sort();
    const undeclared = loaded.filter((name) => !declared.includes(name)).map((name) => `${name} (loaded by ${external.get(name)!.join(', ')})`);
    expect(undeclared, 'loaded at run time but not in dependencies: an install would miss it').toEqual([]);
    expect(
      declared.filter((name) => !loaded.includes(name)),
      'in dependencies but bundled or unused: move it to devDependencies',
    ).toEqual([]);
  });
});
