#!/usr/bin/env node
// bench/state: how fast a session's state follows what its agent does, each transition beside a baseline measured in
// the same run on a raw tmux server (-L) running the same fake agent.
//   (1) permission with hooks: fake Claude Code is told `ask Bash ls`; send returns → the session is needs_permission
//       (its PermissionRequest hook)                       vs raw tmux: send-keys, then capture-pane polled until the box shows
//   (2) permission by screen alone: fake Codex (no hooks), the same question → needs_permission
//                                                          vs raw tmux: send-keys + capture-pane polling, as above
//   (3) exit → stopped / crashed: a command that exits 0 or 3 when it reads a line; send returns → stopped / crashed
//                                                          vs raw tmux: send-keys, then #{pane_dead} polled (remain-on-exit)
// States are read by polling GET /sessions/:id every few milliseconds; the same poll interval drives the baselines.
// Everything lives in a temp dir with private tmux servers; the default tmux server and ~/.codepiper are never
// touched, and the daemon, both tmux servers and the temp dir are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/state.mjs [--quick] [--runs N] [--json]
//   targets: (1) p50 < 1 s   (2) p50 < 2 s   (3) p95 < 300 ms
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cleanUpOnSignals, formatColumns, now, parseRuns, percentile, requestJson, runBench, running, sleepSync, startForegroundDaemon, stopDaemonSync, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const FAKE_CLAUDE = path.join(root, 'test/fixtures/fake-claude.cjs');
const FAKE_CODEX = path.join(root, 'test/fixtures/fake-codex.cjs');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const runs = parseRuns(process.argv, quick ? 5 : 20);
const targets = { hookPermissionP50Ms: 1000, screenPermissionP50Ms: 2000, exitP95Ms: 300 };
const POLL_MS = 5;
const STATE_TIMEOUT_MS = 15_000;
/** The agent that ends when it reads a line: with status 0 (stopped) or 3 (crashed). */
const exiter = (status) => [process.execPath, '-e', `process.stdin.once('data', () => process.exit(${status}))`];

const tmpBase = path.join(os.tmpdir(), 'cpb-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-'));
const socketPath = path.join(dir, 'd.sock');
const servers = { daemon: `cpb-${process.pid}`, raw: `cpb-raw-${process.pid}` };
const env = {
  ...process.env,
  CODEPIPER_HOME: path.join(dir, 'home'),
  CODEPIPER_SOCKET: socketPath,
  CODEPIPER_TMUX_SOCKET: servers.daemon,
  CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE,
  CODEPIPER_CODEX_BIN: FAKE_CODEX,
  CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
  CODEX_HOME: path.join(dir, 'codex'),
};
for (const key of ['XDG_RUNTIME_DIR', 'TMUX', 'TMUX_PANE']) delete env[key];

const note = (message) => process.stderr.write(`  ${message}\n`);
let daemon;
const daemonLog = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const tmuxArgv = (...args) => ['tmux', '-L', servers.raw, '-f', '/dev/null', ...args];
const tmux = (...args) => timeCommand(tmuxArgv(...args), { env });

let cleanedUp = false;
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  agent.destroy();
  stopDaemonSync(daemon);
  for (const server of Object.values(servers)) spawnSync('tmux', ['-L', server, 'kill-server'], { env, stdio: 'ignore' });
  const socketDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`);
  for (const server of Object.values(servers)) fs.rmSync(path.join(socketDir, server), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}
cleanUpOnSignals('state', cleanup);

const api = (method, urlPath, body) => requestJson({ socketPath, agent, method, path: urlPath, body });

/** Which channel set the states waited for (hook or screen), per transition: what (1) and (2) really measured. */
const sources = {};

/** Milliseconds from `started` until the session is in `state` (polled), or throws after STATE_TIMEOUT_MS. */
async function untilState(id, state, started, counted) {
  for (;;) {
    const { body } = await api('GET', `/sessions/${id}`);
    if (body.state === state) {
      if (counted) (sources[counted] ??= {})[body.stateSource] = (sources[counted]?.[body.stateSource] ?? 0) + 1;
      return now() - started;
    }
    if (now() - started > STATE_TIMEOUT_MS) throw new Error(`session ${id} is ${body.state}, not ${state}, after ${STATE_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** Milliseconds from `started` until `test()` holds (polled like the daemon's states). */
async function until(test, started, what) {
  for (;;) {
    if (test()) return now() - started;
    if (now() - started > STATE_TIMEOUT_MS) throw new Error(`${what} not seen after ${STATE_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

const capture = (target) => tmux('capture-pane', '-p', '-t', target).stdout;

async function create(body) {
  return (await api('POST', '/sessions', { cwd: dir, cols: 120, rows: 40, ...body })).body.id;
}

/** One permission question asked and denied, `runs` times: ours (the daemon's state) and raw (capture-pane polling). */
async function permissions(provider, fake, box) {
  const id = await create({ provider });
  await untilState(id, 'idle', now());
  const raw = `raw-${provider}`;
  tmux('new-session', '-d', '-s', raw, '-x', '120', '-y', '40', '-c', dir, process.execPath, fake);
  await until(() => /[❯›]/.test(capture(raw)), now(), `the prompt of raw ${provider}`);
  const times = { ours: [], raw: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? ['raw', 'ours'] : ['ours', 'raw'];
    for (const which of order) {
      if (which === 'ours') {
        await api('POST', `/sessions/${id}/send`, { text: `ask Bash ls${i}` });
        times.ours.push(await untilState(id, 'needs_permission', now(), provider));
        // A hook reports the question as the box is about to be drawn: answer once it shows.
        const shown = now();
        for (;;) {
          if (box.test((await api('GET', `/sessions/${id}/output`)).body.text)) break;
          if (now() - shown > STATE_TIMEOUT_MS) throw new Error(`the box of ${provider} did not show`);
          await sleep(POLL_MS);
        }
        await api('POST', `/sessions/${id}/permission`, { answer: 'deny' });
        await untilState(id, 'idle', now());
      } else {
        const started = now();
        tmux('send-keys', '-t', raw, '-l', `ask Bash ls${i}`);
        tmux('send-keys', '-t', raw, 'Enter');
        times.raw.push(await until(() => box.test(capture(raw)), started, `the box of raw ${provider}`));
        tmux('send-keys', '-t', raw, 'Escape');
        await until(() => !box.test(capture(raw)), now(), `the box of raw ${provider} to go`);
      }
    }
  }
  await api('POST', `/sessions/${id}/kill`);
  return times;
}

/** Agents that end on their own, `runs` times: send returns → stopped/crashed; raw: send-keys → #{pane_dead}. */
async function exits() {
  const times = { stopped: [], crashed: [], raw: [] };
  const ids = [];
  for (let i = 0; i < runs; i++) ids.push({ id: await create({ provider: 'command', args: exiter(i % 2 ? 3 : 0) }), expected: i % 2 ? 'crashed' : 'stopped' });
  for (const { id } of ids) await untilState(id, 'idle', now());
  tmux('new-session', '-d', '-s', 'keep', 'sleep', '3600');
  tmux('set-option', '-g', 'remain-on-exit', 'on');
  for (let i = 0; i < runs; i++) tmux('new-window', '-d', '-t', 'keep', '-n', `x${i}`, ...exiter(i % 2 ? 3 : 0));
  for (let i = 0; i < runs; i++) {
    const { id, expected } = ids[i];
    const started = now();
    await api('POST', `/sessions/${id}/send`, { text: 'bye' });
    times[expected].push(await untilState(id, expected, started));
    const rawStarted = now();
    tmux('send-keys', '-t', `keep:x${i}`, 'bye', 'Enter');
    times.raw.push(await until(() => tmux('display-message', '-p', '-t', `keep:x${i}`, '#{pane_dead}').stdout.trim() === '1', rawStarted, `raw exit ${i}`));
  }
  return times;
}

const stats = (values) => ({ n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) });

async function main() {
  const started = await startForegroundDaemon({ bin, env, api, log: daemonLog, onSpawn: (child) => (daemon = child) });
  daemon = started.child;
  note(`daemon ${started.info.version}; ${runs} runs of each transition`);
  note('(1) permission with hooks (fake Claude Code)');
  const hooked = await permissions('claude-code', FAKE_CLAUDE, /Do you want to proceed\?/);
  note('(2) permission by screen alone (fake Codex)');
  const screen = await permissions('codex', FAKE_CODEX, /Would you like to run the following command\?/);
  note('(3) exits');
  const exit = await exits();
  const all = [...exit.stopped, ...exit.crashed];
  return {
    runs,
    targets,
    hookPermission: { ours: stats(hooked.ours), raw: stats(hooked.raw) },
    screenPermission: { ours: stats(screen.ours), raw: stats(screen.raw) },
    exit: { stopped: stats(exit.stopped), crashed: stats(exit.crashed), all: stats(all), raw: stats(exit.raw) },
    sources,
  };
}

function report(r) {
  const ms = (value) => `${Math.round(value)} ms`;
  const line = (s) => `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  max ${ms(s.max)}`;
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const rows = [
    ['transition', 'ours', 'raw tmux baseline', 'target', 'result'],
    ['(1) permission, with hooks', line(r.hookPermission.ours), line(r.hookPermission.raw), `p50 < ${r.targets.hookPermissionP50Ms} ms`, pass(r.hookPermission.ours.p50 < r.targets.hookPermissionP50Ms)],
    ['(2) permission, by screen', line(r.screenPermission.ours), line(r.screenPermission.raw), `p50 < ${r.targets.screenPermissionP50Ms} ms`, pass(r.screenPermission.ours.p50 < r.targets.screenPermissionP50Ms)],
    ['(3) exit 0 → stopped', line(r.exit.stopped), '', '', 'info'],
    ['(3) exit 3 → crashed', line(r.exit.crashed), '', '', 'info'],
    ['(3) exit → stopped/crashed', line(r.exit.all), line(r.exit.raw), `p95 < ${r.targets.exitP95Ms} ms`, pass(r.exit.all.p95 < r.targets.exitP95Ms)],
  ];
  const seenBy = Object.entries(r.sources).map(([provider, counts]) => `${provider} ${JSON.stringify(counts)}`).join(', ');
  return [`state transitions, ${r.runs} runs each, states polled every ${POLL_MS} ms`, ...formatColumns(rows), `needs_permission set by: ${seenBy}`].join('\n');
}

await runBench({ name: 'state', main, report, asJson, cleanup, daemonLog: () => daemonLog });
