import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createHarness, ROOT, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

/**
 * The acceptance test of installing like an npm CLI: `npm pack` of a throwaway copy of the source tree (its `prepare`
 * builds dist/), `npm install -g --prefix <tmp>` of that tarball, and then, with the copy deleted, the installed
 * command, its man page and a Claude Code session whose hooks reach the installed daemon.
 *
 * Nothing leaves this machine: npm installs from a registry on loopback that this test serves from what `npm ci` put
 * in npm's cache (the versions package-lock.json names, byte for byte, integrity checked by npm), with a private npm
 * cache. better-sqlite3's install script asks for its prebuilt binary as usual (prebuild-install, through its mirror
 * setting); the loopback registry answers with the binary `npm ci` built or fetched for this very version and Node,
 * so the install does not compile SQLite again (about 2 minutes on a CI machine). TEST_SQLITE_FROM_SOURCE=1 refuses
 * the prebuilt binary, so that npm compiles it from source as on a machine without prebuilds.
 */
const FROM_SOURCE = process.env.TEST_SQLITE_FROM_SOURCE === '1';
// Slow on purpose: a real pack (esbuild), a real global install (npm resolving and extracting 38 packages, running
// better-sqlite3's install script) and a daemon with a session. Compiling SQLite from source takes minutes more.
const TIMEOUT_MS = (FROM_SOURCE ? 10 : 4) * 60_000;

const run = promisify(execFile);
const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

let work: string | undefined;
let harness: Harness | undefined;
let registry: http.Server | undefined;
afterAll(async () => {
  await harness?.cleanup();
  registry?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface LockEntry {
  version: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optional?: boolean;
  hasInstallScript?: boolean;
}

/** Every package the runtime dependencies need, from package-lock.json: node_modules path → entry. */
function runtimeClosure(): Map<string, LockEntry & { name: string }> {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const found = new Map<string, LockEntry & { name: string }>();
  // Node's lookup: the nearest node_modules/<name> from the dependent's own folder up to the root.
  const locate = (from: string, name: string): string => {
    for (let base = from; ; ) {
      const key = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!base) throw new Error(`package-lock.json has no ${name} for ${from || 'the root'}`);
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const queue: Array<[from: string, name: string]> = Object.keys(pkg.dependencies).map((name) => ['', name]);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const key = locate(next[0], next[1]);
    if (found.has(key)) continue;
    const entry = lock.packages[key]!;
    found.set(key, { ...entry, name: next[1] });
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) queue.push([key, name]);
  }
  return found;
}

/** A tarball in npm's content-addressed cache, by its integrity (where `npm ci` left it). */
function cachedTarball(cache: string, integrity: string): string {
  const [algorithm, base64] = integrity.split(' ')[0]!.split(/-(.*)/s) as [string, string];
  const hex = Buffer.from(base64, 'base64').toString('hex');
  return path.join(cache, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/**
 * A registry on loopback serving the runtime closure: one packument per name with the locked versions, each tarball
 * from npm's cache, and at /prebuilds/ the prebuilt better-sqlite3 binary (unless FROM_SOURCE).
 */
async function loopbackRegistry(prebuilt: string | undefined): Promise<string> {
  const cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  const packuments = new Map<string, { name: string; 'dist-tags': Record<string, string>; versions: Record<string, unknown> }>();
  const tarballs = new Map<string, string>();
  const server = http.createServer((request, response) => {
    const url = decodeURIComponent(request.url ?? '');
    const file = url.startsWith('/-/tarball/') ? tarballs.get(url) : url.startsWith('/prebuilds/') ? prebuilt : undefined;
    if (file) return void fs.createReadStream(file).pipe(response);
    const packument = packuments.get(url.slice(1));
    if (!packument) return void response.writeHead(404).end('{}');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry = server;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const entry of runtimeClosure().values()) {
    const file = cachedTarball(cache, entry.integrity!);
    const tarball = `/-/tarball/${entry.name}-${entry.version}.tgz`;
    // An optional package for another platform (argon2's prebuilt binaries for each os, cpu and libc) is never
    // downloaded: npm reads its os/cpu/libc from the packument and skips it, so only its manifest is served.
    if (fs.existsSync(file)) tarballs.set(tarball, file);
    else if (!entry.optional) throw new Error(`${entry.name}@${entry.version} is not in npm's cache (${cache}): run npm ci first`);
    const { name, version, integrity, dependencies, optionalDependencies, peerDependencies, bin, engines, os: platforms, cpu, libc, hasInstallScript } = entry;
    const manifest = { name, version, dependencies, optionalDependencies, peerDependencies, bin, engines, os: platforms, cpu, libc, hasInstallScript, dist: { tarball: base + tarball, integrity } };
    const packument = packuments.get(name) ?? { name, 'dist-tags': { latest: version }, versions: {} };
    packument.versions[version] = manifest;
    packuments.set(name, packument);
  }
  return base;
}

/** The source tree as a clone has it (tracked and new files, not what .gitignore leaves out), copied to `dir`. */
function copySource(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  // Building needs the dev dependencies (esbuild, the bundled libraries): this checkout's.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

describe('npm pack, then npm install -g of the tarball', () => {
  it(
    'installs a working codepiper: version, man page through the prefix, and a session whose hooks reach the installed daemon, with the source gone',
    async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-npm-'));
      const source = path.join(work, 'source');
      const prefix = path.join(work, 'prefix');
      const npmCache = path.join(work, 'npm-cache');
      const npmEnv = { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

      copySource(source);
      const packed = await run('npm', ['pack', '--pack-destination', work], { cwd: source, env: npmEnv });
      const tarball = path.join(work, packed.stdout.trim().split('\n').at(-1)!);
      expect(fs.existsSync(tarball), packed.stderr).toBe(true);
      fs.rmSync(source, { recursive: true, force: true });

      // better-sqlite3's binary as prebuild-install packs it: build/Release/better_sqlite3.node.
      let prebuilt: string | undefined;
      if (!FROM_SOURCE) {
        prebuilt = path.join(work, 'better-sqlite3-prebuilt.tar.gz');
        execFileSync('tar', ['-czf', prebuilt, '-C', path.join(ROOT, 'node_modules', 'better-sqlite3'), 'build/Release/better_sqlite3.node']);
      }
      const base = await loopbackRegistry(prebuilt);
      const started = performance.now();
      const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--registry', `${base}/`, tarball], {
        env: { ...npmEnv, npm_config_better_sqlite3_binary_host: `${base}/prebuilds`, ...(FROM_SOURCE ? { npm_config_build_from_source: 'true' } : {}) },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`npm install -g failed: ${error.stderr ?? ''}${error.stdout ?? ''}`);
      });
      console.log(`npm install -g took ${((performance.now() - started) / 1000).toFixed(1)} s${FROM_SOURCE ? ' (SQLite compiled from source)' : ''}`);
      expect(installed.stderr).not.toMatch(/ERR!/);

      // A copy, not a link into the (deleted) source.
      const packageDir = path.join(prefix, 'lib', 'node_modules', 'codepiper');
      expect(fs.lstatSync(packageDir).isDirectory()).toBe(true);
      const bin = path.join(prefix, 'bin', 'codepiper');
      const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
      expect(version.stdout.trim(), version.stderr).toBe(pkg.version);

      // The man page, through the prefix's man directory.
      const page = path.join(prefix, 'share', 'man', 'man1', 'codepiper.1');
      expect(fs.realpathSync(page)).toBe(path.join(packageDir, 'man', 'codepiper.1'));
      if (spawnSync('sh', ['-c', 'command -v man']).status === 0) {
        const found = spawnSync('man', ['-w', 'codepiper'], { env: { ...process.env, MANPATH: path.join(prefix, 'share', 'man') }, encoding: 'utf8' });
        // man-db names the file the link points to; either way it is the prefix's page.
        expect(found.stdout.trim().startsWith(prefix + path.sep), found.stderr).toBe(true);
        expect(fs.realpathSync(found.stdout.trim())).toBe(fs.realpathSync(page));
      } else {
        console.log('man is not installed here: checked only the page npm linked into the prefix');
      }

      // A daemon of the installed command, and a Claude Code session whose hook decision reaches the audit log.
      harness = createHarness();
      harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
      const cli = (args: string[]) => harness!.run(args, { bin });
      expect((await cli(['daemon', 'start', '--detach'])).code).toBe(0);
      const daemonPid = harness.discovery()!.pid;
      expect(fs.readFileSync(`/proc/${daemonPid}/cmdline`, 'utf8')).toContain(prefix + path.sep);
      const policy = await cli(['policy', 'create', '--name', 'tests', '--rules', '[{"action":"allow","tool":"Bash","args":{"command":"npm test"},"reason":"tests may run"}]']);
      expect(policy.code, policy.stderr).toBe(0);
      const created = await cli(['start', '-p', 'claude-code', '-d', harness.dir, '--name', 'installed']);
      expect(created.code, created.stderr).toBe(0);
      const id = created.stdout.trim();
      await waitFor(async () => /\? for shortcuts/.test((await cli(['tail', id])).stdout), { what: 'the fake Claude prompt', timeoutMs: 20_000 });
      expect((await cli(['send', id, 'ask Bash npm test'])).code).toBe(0);
      const screen = await waitFor(async () => {
        const text = (await cli(['tail', id])).stdout;
        return /● allowed Bash npm test|Do you want to proceed\?|hook error/.test(text) ? text : undefined;
      }, { what: 'the agent to act on its hook', timeoutMs: 20_000 });
      expect(screen).toMatch(/● allowed Bash npm test/);
      const audit = await cli(['audit', '--session', id, '--json']);
      expect(audit.code, audit.stderr).toBe(0);
      const rows = JSON.parse(audit.stdout) as Array<Record<string, unknown>>;
      expect(rows.some((row) => row.decision === 'allow' && row.tool === 'Bash' && JSON.stringify(row).includes('npm test'))).toBe(true);
    },
    TIMEOUT_MS,
  );
});
