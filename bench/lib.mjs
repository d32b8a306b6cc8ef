// Shared helpers for the benchmarks: timing of whole commands and summary statistics.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCorpus } from './corpus.mjs';

/** Wall time of one run of argv, in milliseconds; throws if it fails, so a broken command is never timed. */
export function timeCommand(argv, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr?.toString().trim()}`);
  }
  return { ms: elapsed, stdout: result.stdout.toString() };
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const median = (values) => percentile(values, 50);

/** The value after `name` in argv, or `fallback` when the option is absent. */
export function optionValue(argv, name, fallback) {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

/** A size such as 500MB, 1.5GB or 20000, in bytes. */
export function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(text).trim());
  if (!match) throw new Error(`"${text}" is not a size such as 500MB`);
  return Math.round(Number(match[1]) * { b: 1, kb: 1e3, mb: 1e6, gb: 1e9 }[(match[2] ?? 'b').toLowerCase()]);
}

export function parseRuns(argv, fallback) {
  const index = argv.indexOf('--runs');
  const runs = index >= 0 ? Number(argv[index + 1]) : fallback;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  return runs;
}

// ---- a daemon under measurement (shared by bench/sessions and bench/hooks) ----

/** Milliseconds, monotonic, sub-millisecond. */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Alive and not a zombie (a child we have not reaped yet still answers kill 0). */
export function running(pid) {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * One JSON request over the daemon's socket with the given keep-alive agent; resolves with the parsed body, its size
 * and the round trip in ms, rejects on a 4xx/5xx answer or after `timeoutMs` (30 s).
 */
export function requestJson({ socketPath, agent, method, path: urlPath, body, headers: extra = {}, timeoutMs = 30_000 }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = { accept: 'application/json', ...extra };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const started = now();
    const req = http.request({ socketPath, agent, method, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const ms = now() - started;
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode >= 400) reject(new Error(`${method} ${urlPath} answered ${res.statusCode}: ${text}`));
        else resolve({ ms, bytes: text.length, body: JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath} got no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Starts `bin daemon start` in the foreground with `env`, collecting its output lines into `log`, and resolves with
 * the child and GET /daemon/info once GET /health answers (within 15 s; its last words if it dies first). `onSpawn`
 * gets the child at once, so that a clean-up running before the answer (Ctrl-C) can stop it.
 */
export async function startForegroundDaemon({ bin, env, api, log, onSpawn }) {
  const child = spawn(process.execPath, [bin, 'daemon', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child);
  for (const output of [child.stdout, child.stderr]) {
    output.setEncoding('utf8');
    output.on('data', (text) => log.push(...text.split('\n').filter(Boolean)));
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(`${signal ?? code}`)));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const result = await Promise.race([api('GET', '/health').then(() => 'up', () => 'down'), exited]);
    if (result === 'up') return { child, info: (await api('GET', '/daemon/info')).body };
    if (result !== 'down') throw new Error(`the daemon exited (${result}) before answering:\n${log.join('\n')}`);
    await sleep(50);
  }
  throw new Error(`the daemon did not answer GET /health within 15 s:\n${log.join('\n')}`);
}

/** SIGTERM (the daemon's clean shutdown), then SIGKILL after 5 s; synchronous, so it also serves exit handlers. */
export function stopDaemonSync(child) {
  if (!child?.pid || !running(child.pid)) return;
  child.kill('SIGTERM');
  for (let waited = 0; running(child.pid) && waited < 5_000; waited += 50) sleepSync(50);
  if (running(child.pid)) child.kill('SIGKILL');
}

/** Rows of cells as left-aligned columns, two spaces apart (the first row is the header). */
export function formatColumns(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}

// ---- a transcript corpus and a daemon indexing it (shared by bench/analytics and bench/search) ----

/**
 * The corpus to measure, with its manifest (null if the corpus was not made by this harness). `corpusDir`, when given,
 * is reused if it holds transcripts and generated (and kept) if not; without it the corpus goes to `tempDir`/corpus.
 * The manifest is written beside the two roots as manifest.json, so that --corpus can reuse the corpus later.
 */
export function prepareCorpus({ corpusDir, tempDir, targetBytes, seed }) {
  const dir = path.resolve(corpusDir ?? path.join(tempDir, 'corpus'));
  const manifestFile = path.join(dir, 'manifest.json');
  if (corpusDir && (fs.existsSync(path.join(dir, 'claude')) || fs.existsSync(path.join(dir, 'codex')))) {
    const manifest = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')) : null;
    return { dir, manifest, reused: true, generatedMs: null };
  }
  const started = now();
  const manifest = generateCorpus({ out: dir, seed, targetBytes });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  return { dir, manifest, reused: false, generatedMs: now() - started };
}

/** Every file under `dirs`, recursively, with its size. */
export function listFiles(dirs) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: full, bytes: fs.statSync(full).size });
    }
  };
  for (const dir of dirs) if (fs.existsSync(dir)) walk(dir);
  return files;
}

/** Reads every file once, so that every tool measured afterwards finds them in the page cache alike. */
export function warmPageCache(files) {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    const fd = fs.openSync(file.path, 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * The environment of an agent user whose only transcripts are the corpus: HOME and the XDG dirs inside `dir`, so
 * nothing of the real home is read, days counted in UTC. ccusage runs with just this and PATH.
 */
export function corpusUserEnv({ dir, corpusDir }) {
  const home = path.join(dir, 'user-home');
  for (const sub of ['', '.config', '.local/share', '.cache']) fs.mkdirSync(path.join(home, sub), { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TZ: 'UTC',
    CLAUDE_CONFIG_DIR: path.join(corpusDir, 'claude'),
    CODEX_HOME: path.join(corpusDir, 'codex'),
  };
}

/**
 * A daemon in the foreground over the corpus, with its home, socket and private tmux server inside `dir` (a short
 * path: a Unix socket address has ~104 bytes). Each start() gets a fresh CODEPIPER_HOME whose config.json turns the scan
 * at start off, so that the caller times POST /library/scan itself. Only ever stops what it started.
 */
export class CorpusDaemon {
  constructor({ bin, dir, corpusDir, tmuxServer }) {
    this.bin = bin;
    this.dir = dir;
    this.socketPath = path.join(dir, 'd.sock');
    this.tmuxServer = tmuxServer;
    this.userEnv = corpusUserEnv({ dir, corpusDir });
    this.log = [];
    this.child = undefined;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.starts = 0;
  }

  /** Starts a daemon on a new, empty CODEPIPER_HOME; resolves with GET /daemon/info. */
  async start() {
    if (this.child) throw new Error('the bench daemon is already running');
    const home = path.join(this.dir, `home-${++this.starts}`);
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ transcripts: { scanOnStart: false } }));
    this.home = home;
    const env = { ...process.env };
    // Inherited from a shell inside tmux or inside a CodePiper session, these would point at the user's own.
    for (const key of Object.keys(env)) if (key.startsWith('CODEPIPER_')) delete env[key];
    delete env.XDG_RUNTIME_DIR;
    delete env.TMUX;
    delete env.TMUX_PANE;
    Object.assign(env, this.userEnv, { CODEPIPER_HOME: home, CODEPIPER_SOCKET: this.socketPath, CODEPIPER_TMUX_SOCKET: this.tmuxServer });
    this.env = env;
    this.log.length = 0;
    const started = await startForegroundDaemon({ bin: this.bin, env, api: (method, urlPath) => this.api(method, urlPath), log: this.log, onSpawn: (child) => (this.child = child) });
    return started.info;
  }

  /** One JSON request over the socket on the kept-alive connection. */
  api(method, urlPath, body, { timeoutMs } = {}) {
    return requestJson({ socketPath: this.socketPath, agent: this.agent, method, path: urlPath, body, timeoutMs });
  }

  /** A fresh kept-alive connection (the daemon closes one left idle for 5 s). */
  reconnect() {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Lines of the daemon's log at warn or error level. */
  warnings() {
    return this.log.filter((line) => /^\S+ (warn|error)/.test(line));
  }

  /** Stops the daemon (its clean shutdown), then its tmux server if it started one; synchronous, for exit handlers. */
  stopSync() {
    this.reconnect();
    stopDaemonSync(this.child);
    this.child = undefined;
    spawnSync('tmux', ['-L', this.tmuxServer, 'kill-server'], { env: this.env ?? process.env, stdio: 'ignore' });
    // A killed server can leave its socket file behind in tmux's socket directory.
    fs.rmSync(path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`, this.tmuxServer), { force: true });
  }
}

/**
 * Installs the baseline programs a benchmark compares against into .bench-tmp/tools (once) and returns that
 * directory's node_modules. They stay out of package.json: `npm ci` must not need a registry that carries every
 * platform's build of them, and tests never run them.
 */
export function benchTools(root, specs) {
  const dir = path.join(root, '.bench-tmp', 'tools');
  const modules = path.join(dir, 'node_modules');
  const stampPath = path.join(dir, 'installed.json');
  const wanted = JSON.stringify(specs);
  let stamp = '';
  try {
    stamp = fs.readFileSync(stampPath, 'utf8');
  } catch {}
  if (stamp !== wanted) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private": true}\n');
    process.stderr.write(`bench: installing ${specs.join(' ')} into ${dir}\n`);
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...specs], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) throw new Error(`bench: npm install ${specs.join(' ')} failed (exit ${result.status})`);
    fs.writeFileSync(stampPath, wanted);
  }
  return modules;
}

/** Ctrl-C, kill and hang-up clean up as the normal end does; `cleanup` is synchronous and safe to call twice. */
export function cleanUpOnSignals(name, cleanup) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      process.stderr.write(`\n${name} bench: ${signal}, cleaning up\n`);
      cleanup();
      process.exit(130);
    });
  }
}

/**
 * A benchmark's run from start to exit: its report (or the result as JSON with --json), or on a failure the error and
 * the daemon's last log lines; clean-up in every case; exit status 0 or 1.
 */
export async function runBench({ name, main, report, asJson, cleanup, daemonLog = () => [] }) {
  let exitCode = 0;
  try {
    const result = await main();
    console.log(asJson ? JSON.stringify(result, null, 2) : report(result));
  } catch (error) {
    console.error(`${name} bench failed: ${error.stack ?? error}`);
    const log = daemonLog() ?? [];
    if (log.length) console.error(`daemon log (last lines):\n${log.slice(-20).join('\n')}`);
    exitCode = 1;
  } finally {
    cleanup();
  }
  process.exit(exitCode);
}
