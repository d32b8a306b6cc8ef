#!/usr/bin/env node
// bench/sessions: what many sessions cost the daemon, each figure beside a baseline measured in the same run.
//   (a) daemon CPU over a quiet window with idle sessions     vs the tmux server and an idle `node` over that window
//   (b) creating sessions one at a time (POST /sessions)      vs raw `tmux new-session`, spawned per call, interleaved
//       GET /sessions latency with every session live         vs GET /health, interleaved
//   (c) daemon RSS with every session live                    vs an idle `node`
//   (d) keystroke-to-echo: POST send, token seen on the event stream
//                                                             vs raw `tmux send-keys` + `capture-pane` polling, interleaved
// Everything lives in a temp dir with private tmux servers (-L); the default tmux server and ~/.codepiper are never
// touched, and the daemon, both tmux servers and the temp dir are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/sessions.mjs [--quick] [--json]
//   targets: (a) < 0.3 s CPU per 30 s   (b) GET /sessions p99 < 20 ms   (c) RSS < 150 MB   (d) median <= 1.5x raw tmux
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cleanUpOnSignals, formatColumns, median, now, percentile, requestJson, runBench, running, sleepSync, startForegroundDaemon, stopDaemonSync, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');

/** Sizes of the run; --quick is a smoke run that only checks the benchmark works end to end. */
const plan = quick
  ? { idleSessions: 10, sessions: 20, cpuWindowMs: 5_000, requests: 60, echoes: 15, warmup: 3 }
  : { idleSessions: 50, sessions: 100, cpuWindowMs: 30_000, requests: 300, echoes: 60, warmup: 5 };
const targets = {
  // 0.3 s per 30 s, scaled to the window (a quick run's window is shorter).
  cpuSeconds: (0.3 * plan.cpuWindowMs) / 30_000,
  listP99Ms: 20,
  rssMB: 150,
  echoRatio: 1.5,
};
/** How long sessions get to settle into idle before that counts as a failure. */
const IDLE_TIMEOUT_MS = 60_000;
/** How long one echo may take before the iteration counts as lost. */
const ECHO_TIMEOUT_MS = 5_000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const SESSION_BODY = { provider: 'command', cwd: '/tmp', args: ['sleep', '3600'] };

// The socket path must stay under the ~104-byte limit of a Unix socket address, so a long TMPDIR falls back to /tmp.
const tmpBase = path.join(os.tmpdir(), 'cpb-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-'));
const socketPath = path.join(dir, 'd.sock');
const servers = { daemon: `cpb-${process.pid}`, raw: `cpb-raw-${process.pid}` };
const env = { ...process.env, CODEPIPER_HOME: path.join(dir, 'home'), CODEPIPER_SOCKET: socketPath, CODEPIPER_TMUX_SOCKET: servers.daemon };
delete env.XDG_RUNTIME_DIR;
// Run from inside tmux, these would point tmux commands at the user's own server and session.
delete env.TMUX;
delete env.TMUX_PANE;

const note = (message) => process.stderr.write(`  ${message}\n`);
/** Things that looked wrong in the daemon's behaviour, reported after the figures. */
const problems = [];

// ---- processes: the daemon, an idle node for baselines, /proc readings, clean-up ----

let daemon;
let idleNode;
const daemonLog = [];
let stream;
/** Pids of both tmux servers, once known, so clean-up can wait for them to exit. */
const serverPids = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** argv of a tmux command against one of our private servers; -f /dev/null as the daemon does, so no ~/.tmux.conf. */
const tmuxArgv = (server, ...args) => ['tmux', '-L', server, '-f', '/dev/null', ...args];
const tmux = (server, ...args) => timeCommand(tmuxArgv(server, ...args), { env });

/** CPU seconds of a process (all its threads), and of the children it has reaped, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime, stime, cutime, cstime are 14-17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { self: (fields[11] + fields[12]) / CLK_TCK, children: (fields[13] + fields[14]) / CLK_TCK };
}

/** A `kB` line of /proc/<pid>/status (VmRSS, VmHWM) in MB. */
function statusMB(pid, key) {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${key} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Pids of the current children of `pid`, over all its threads. */
function childPids(pid) {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * Samples the children of `pid` every few milliseconds and counts the new ones. Processes that start and end between
 * two samples are missed, so the count is a lower bound; the growth of the reaped children's CPU time backs it up.
 */
function watchChildren(pid, everyMs = 10) {
  const before = new Set(childPids(pid));
  const seen = new Set();
  const timer = setInterval(() => {
    for (const child of childPids(pid)) if (!before.has(child)) seen.add(child);
  }, everyMs);
  return () => {
    clearInterval(timer);
    return seen.size;
  };
}



let cleanedUp = false;
/** Synchronous, so the same code serves the normal end, an error and a signal. Only ever kills what we started. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  stream?.close();
  agent.destroy();
  if (idleNode?.pid && running(idleNode.pid)) idleNode.kill('SIGKILL');
  // The daemon's clean shutdown removes its socket and discovery file; tmux is killed after it.
  stopDaemonSync(daemon);
  for (const server of Object.values(servers)) spawnSync('tmux', ['-L', server, 'kill-server'], { env, stdio: 'ignore' });
  // kill-server returns before the server process is gone; wait for the ones whose pid we learnt.
  for (let waited = 0; serverPids.some(running) && waited < 2_000; waited += 50) sleepSync(50);
  // A killed server can leave its socket file behind in tmux's socket directory.
  const socketDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`);
  for (const server of Object.values(servers)) fs.rmSync(path.join(socketDir, server), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

cleanUpOnSignals('sessions', cleanup);

// ---- the daemon's API ----

/** One JSON request over the socket (keep-alive); resolves with the parsed body and the round trip in ms. */
function api(method, urlPath, body) {
  return requestJson({ socketPath, agent, method, path: urlPath, body });
}

async function startDaemon() {
  const started = await startForegroundDaemon({ bin, env, api, log: daemonLog });
  daemon = started.child;
  return started.info;
}



/** Polls GET /sessions until every id is in `state`; a timeout is recorded as a problem, not thrown. */
async function waitForState(ids, state, what) {
  const started = now();
  const wanted = new Set(ids);
  for (;;) {
    const { sessions } = (await api('GET', '/sessions')).body;
    const states = {};
    for (const session of sessions) if (wanted.has(session.id)) states[session.state] = (states[session.state] ?? 0) + 1;
    if (states[state] === wanted.size) return now() - started;
    if (now() - started > IDLE_TIMEOUT_MS) {
      problems.push(`${what}: not all ${state} after ${IDLE_TIMEOUT_MS / 1000} s: ${JSON.stringify(states)}`);
      return now() - started;
    }
    await sleep(100);
  }
}

/**
 * Creates `count` sessions one at a time, each beside one raw `tmux new-session` on the raw server; the order
 * alternates so neither always runs first. Returns the ids and both sets of times.
 */
async function createInterleaved(from, count) {
  const ids = [];
  const times = { ours: [], raw: [] };
  for (let i = from; i < from + count; i++) {
    const order = i % 2 ? ['raw', 'ours'] : ['ours', 'raw'];
    for (const which of order) {
      if (which === 'ours') {
        const { ms, body } = await api('POST', '/sessions', SESSION_BODY);
        ids.push(body.id);
        times.ours.push(ms);
      } else {
        times.raw.push(tmux(servers.raw, 'new-session', '-d', '-s', `s${i}`, '-x', '120', '-y', '40', '-c', '/tmp', 'sleep', '3600').ms);
      }
    }
  }
  return { ids, times };
}

/** The output stream of one session; `until(token)` resolves with the time the token first appears in it. */
function openOutputStream(id) {
  return new Promise((resolve, reject) => {
    let text = '';
    let waiter;
    let pending = '';
    const handle = {
      /** Forgets what arrived so far (tokens are unique, so late output of an earlier one cannot match). */
      until(token) {
        text = '';
        return new Promise((resolveToken, rejectToken) => (waiter = { token, resolve: resolveToken, reject: rejectToken }));
      },
      close: () => req.destroy(),
    };
    const topic = encodeURIComponent(`session:${id}:output`);
    const req = http.request({ socketPath, agent: false, path: `/events?topic=${topic}`, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /events answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        pending += chunk;
        for (let end; (end = pending.indexOf('\n\n')) >= 0; ) {
          const message = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const event = /^event: (.*)$/m.exec(message)?.[1];
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (event === 'ready') resolve(handle);
          else if (event === 'output') {
            text += Buffer.from(JSON.parse(data).data, 'base64').toString('latin1');
            if (waiter && text.includes(waiter.token)) {
              waiter.resolve(now());
              waiter = undefined;
            }
          }
        }
      });
    });
    req.on('error', (error) => (waiter ? waiter.reject(error) : reject(error)));
    req.end();
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One keystroke through the daemon: POST send, then the token on the event stream. */
async function echoOurs(id, token) {
  const seen = stream.until(token);
  const started = now();
  await api('POST', `/sessions/${id}/send`, { text: token, newline: false });
  return (await withTimeout(seen, ECHO_TIMEOUT_MS, `echo of ${token} through the daemon`)) - started;
}

/** One keystroke with bare tmux: spawn send-keys, then spawn capture-pane until the token shows. */
function echoRaw(token) {
  const started = now();
  tmux(servers.raw, 'send-keys', '-t', 'echo', '-l', token);
  for (let polls = 1; ; polls++) {
    // -J joins wrapped lines, so a token that wraps at the right edge is still found.
    if (tmux(servers.raw, 'capture-pane', '-p', '-J', '-t', 'echo').stdout.includes(token)) return { ms: now() - started, polls };
    if (now() - started > ECHO_TIMEOUT_MS) throw new Error(`echo of ${token} through raw tmux timed out`);
  }
}

// ---- the run ----

const stats = (values) => ({ n: values.length, total: values.reduce((a, b) => a + b, 0), median: median(values), p90: percentile(values, 90), p99: percentile(values, 99) });
const f = (value, digits = 1) => value.toFixed(digits);

async function main() {
  const tmuxVersion = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).stdout.trim();
  const info = await startDaemon();
  note(`daemon pid ${info.pid} on ${socketPath} (tmux -L ${servers.daemon}); raw tmux -L ${servers.raw}`);
  idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  const result = { mode: quick ? 'quick' : 'full', node: process.version, tmux: tmuxVersion, cpus: os.cpus().length, plan, targets };

  // (a) The first sessions are created (their times count towards (b)), left to go idle, then watched over a window
  // in which nothing talks to the daemon.
  note(`creating ${plan.idleSessions} sessions`);
  const first = await createInterleaved(0, plan.idleSessions);
  const idleAfterMs = await waitForState(first.ids, 'idle', `${plan.idleSessions} sleep sessions`);
  // Let the last idle confirmation and its database write finish before the window opens. The window still sees the
  // garbage collection V8 runs a few seconds after a burst of work (the creates), which is part of the daemon's cost.
  await sleep(1000);
  const tmuxServerPid = Number(tmux(servers.daemon, 'display-message', '-p', '#{pid}').stdout.trim());
  const rawServerPid = Number(tmux(servers.raw, 'display-message', '-p', '#{pid}').stdout.trim());
  serverPids.push(tmuxServerPid, rawServerPid);
  const watched = { daemon: info.pid, tmuxServer: tmuxServerPid, rawTmuxServer: rawServerPid, idleNode: idleNode.pid };
  note(`all idle after ${f(idleAfterMs / 1000)} s; measuring CPU over ${plan.cpuWindowMs / 1000} s`);
  const before = Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const stopWatching = watchChildren(info.pid);
  await sleep(plan.cpuWindowMs);
  const spawned = stopWatching();
  const after = Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const cpu = Object.fromEntries(Object.keys(watched).map((name) => [name, after[name].self - before[name].self]));
  result.idleCpu = {
    sessions: plan.idleSessions,
    windowSeconds: plan.cpuWindowMs / 1000,
    idleAfterSeconds: idleAfterMs / 1000,
    seconds: cpu,
    daemonReapedChildrenSeconds: after.daemon.children - before.daemon.children,
    daemonChildrenSeen: spawned,
  };

  // (b) The rest of the sessions, then the listing latency with all of them live.
  note(`creating ${plan.sessions - plan.idleSessions} more sessions`);
  const rest = await createInterleaved(plan.idleSessions, plan.sessions - plan.idleSessions);
  const ids = [...first.ids, ...rest.ids];
  const create = { ours: [...first.times.ours, ...rest.times.ours], raw: [...first.times.raw, ...rest.times.raw] };
  await waitForState(ids, 'idle', `${plan.sessions} sleep sessions`);
  note(`GET /sessions and GET /health, ${plan.requests} each`);
  const latency = { list: [], health: [] };
  let listBytes = 0;
  for (let i = -plan.warmup * 2; i < plan.requests; i++) {
    const order = i % 2 ? ['health', 'list'] : ['list', 'health'];
    for (const which of order) {
      const response = await api('GET', which === 'list' ? '/sessions' : '/health');
      if (which === 'list') {
        listBytes = response.bytes;
        if (response.body.sessions.length !== plan.sessions) problems.push(`GET /sessions listed ${response.body.sessions.length} sessions, expected ${plan.sessions}`);
      }
      if (i >= 0) latency[which].push(response.ms);
    }
  }
  result.create = { sessions: plan.sessions, ours: stats(create.ours), raw: stats(create.raw) };
  result.list = { sessions: plan.sessions, bytes: listBytes, ours: stats(latency.list), health: stats(latency.health) };

  // (c) Memory with every session live, right after the listing load.
  result.rss = {
    sessions: plan.sessions,
    daemonMB: statusMB(info.pid, 'VmRSS'),
    daemonPeakMB: statusMB(info.pid, 'VmHWM'),
    idleNodeMB: statusMB(idleNode.pid, 'VmRSS'),
  };

  // (d) One more session running cat, beside a cat in the raw server (which holds as many sleeps as the daemon's).
  note(`keystroke echo, ${plan.echoes} iterations each`);
  const cat = (await api('POST', '/sessions', { provider: 'command', cwd: '/tmp', args: ['cat'] })).body;
  tmux(servers.raw, 'new-session', '-d', '-s', 'echo', '-x', '120', '-y', '40', '-c', '/tmp', 'cat');
  await waitForState([cat.id], 'idle', 'the cat session');
  stream = await openOutputStream(cat.id);
  const echo = { ours: [], raw: [], polls: [] };
  for (let i = -plan.warmup; i < plan.echoes; i++) {
    const order = i % 2 ? ['raw', 'ours'] : ['ours', 'raw'];
    for (const which of order) {
      // Unique per iteration and side, short so cat's line stays well inside the terminal's 4 KB line buffer.
      const token = `${which[0]}${i + plan.warmup}x${Math.random().toString(36).slice(2, 6)}`;
      if (which === 'ours') {
        const ms = await echoOurs(cat.id, token);
        if (i >= 0) echo.ours.push(ms);
      } else {
        const { ms, polls } = echoRaw(token);
        if (i >= 0) {
          echo.raw.push(ms);
          echo.polls.push(polls);
        }
      }
    }
  }
  // The typing made the cat session "running"; it should be idle again about a second after the last keystroke.
  const settleMs = await waitForState([cat.id], 'idle', 'the cat session after the echoes');
  result.echo = {
    ours: stats(echo.ours),
    raw: stats(echo.raw),
    rawPollsMean: echo.polls.reduce((a, b) => a + b, 0) / echo.polls.length,
    idleAgainSeconds: settleMs / 1000,
  };

  const finalStates = {};
  for (const session of (await api('GET', '/sessions')).body.sessions) finalStates[session.state] = (finalStates[session.state] ?? 0) + 1;
  result.finalStates = finalStates;
  for (const line of daemonLog) if (/^\S+ (warn|error)/.test(line)) problems.push(`daemon log: ${line}`);
  result.problems = problems;
  return result;
}

// ---- the report ----

function report(r) {
  const c = r.idleCpu;
  const ratio = (a, b) => (b > 0 ? `${f(a / b, 2)}x` : 'n/a');
  const lines = [
    `sessions bench (${r.mode} run): Node ${r.node}, ${r.tmux}, ${r.cpus} CPUs`,
    `(a) CPU over ${c.windowSeconds} s with ${c.sessions} idle sessions (all idle ${f(c.idleAfterSeconds)} s after the last create)`,
    `    daemon                          ${f(c.seconds.daemon, 2)} s   (+${f(c.daemonReapedChildrenSeconds, 2)} s in reaped children; new child processes seen: ${c.daemonChildrenSeen})`,
    `    daemon's tmux server            ${f(c.seconds.tmuxServer, 2)} s`,
    `    raw tmux server (sleeps only)   ${f(c.seconds.rawTmuxServer, 2)} s`,
    `    idle node                       ${f(c.seconds.idleNode, 2)} s`,
    `(b) creating ${r.create.sessions} sessions one at a time, interleaved`,
    `    POST /sessions                  total ${f(r.create.ours.total, 0)} ms   median ${f(r.create.ours.median)} ms   p90 ${f(r.create.ours.p90)} ms`,
    `    tmux new-session (spawned)      total ${f(r.create.raw.total, 0)} ms   median ${f(r.create.raw.median)} ms   p90 ${f(r.create.raw.p90)} ms`,
    `    ratio of medians ${ratio(r.create.ours.median, r.create.raw.median)}`,
    `    with ${r.list.sessions} live, ${r.list.ours.n} interleaved requests each:`,
    `    ${`GET /sessions (${f(r.list.bytes / 1024)} KB)`.padEnd(32)}p50 ${f(r.list.ours.median, 2)} ms   p99 ${f(r.list.ours.p99, 2)} ms`,
    `    GET /health                     p50 ${f(r.list.health.median, 2)} ms   p99 ${f(r.list.health.p99, 2)} ms`,
    `(c) daemon RSS with ${r.rss.sessions} live: ${f(r.rss.daemonMB)} MB (peak ${f(r.rss.daemonPeakMB)} MB); idle node ${f(r.rss.idleNodeMB)} MB; ratio ${ratio(r.rss.daemonMB, r.rss.idleNodeMB)}`,
    `(d) keystroke to echo, ${r.echo.ours.n} interleaved iterations each`,
    `    send + event stream             median ${f(r.echo.ours.median, 2)} ms   p90 ${f(r.echo.ours.p90, 2)} ms`,
    `    send-keys + capture-pane poll   median ${f(r.echo.raw.median, 2)} ms   p90 ${f(r.echo.raw.p90, 2)} ms   (${f(r.echo.rawPollsMean, 2)} captures per echo)`,
    `    ratio of medians ${ratio(r.echo.ours.median, r.echo.raw.median)}; the cat session was idle again ${f(r.echo.idleAgainSeconds)} s after the last one`,
    `final session states: ${JSON.stringify(r.finalStates)}`,
    '',
  ];
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const echoRatio = r.echo.ours.median / r.echo.raw.median;
  const rows = [
    ['check', 'ours', 'baseline', 'target', 'result'],
    [
      `(a) daemon CPU, ${c.windowSeconds} s, ${c.sessions} idle`,
      `${f(c.seconds.daemon, 2)} s`,
      `tmux server ${f(c.seconds.tmuxServer, 2)} s, idle node ${f(c.seconds.idleNode, 2)} s`,
      `< ${f(r.targets.cpuSeconds, 2)} s`,
      pass(c.seconds.daemon < r.targets.cpuSeconds),
    ],
    [
      `(b) create, median of ${r.create.sessions}`,
      `${f(r.create.ours.median)} ms`,
      `tmux new-session ${f(r.create.raw.median)} ms (${ratio(r.create.ours.median, r.create.raw.median)})`,
      '-',
      'info',
    ],
    [
      `(b) GET /sessions p99, ${r.list.sessions} live`,
      `${f(r.list.ours.p99, 2)} ms`,
      `GET /health p99 ${f(r.list.health.p99, 2)} ms`,
      `< ${r.targets.listP99Ms} ms`,
      pass(r.list.ours.p99 < r.targets.listP99Ms),
    ],
    [
      `(c) daemon RSS, ${r.rss.sessions} live`,
      `${f(r.rss.daemonMB)} MB`,
      `idle node ${f(r.rss.idleNodeMB)} MB`,
      `< ${r.targets.rssMB} MB`,
      pass(r.rss.daemonMB < r.targets.rssMB),
    ],
    [
      '(d) keystroke echo, median',
      `${f(r.echo.ours.median, 2)} ms`,
      `raw tmux ${f(r.echo.raw.median, 2)} ms (${ratio(r.echo.ours.median, r.echo.raw.median)})`,
      `<= ${r.targets.echoRatio}x`,
      pass(echoRatio <= r.targets.echoRatio),
    ],
  ];
  lines.push(...formatColumns(rows));
  if (r.problems.length) lines.push('', 'problems seen:', ...r.problems.map((problem) => `  - ${problem}`));
  return lines.join('\n');
}

await runBench({ name: 'sessions', main, report, asJson, cleanup, daemonLog: () => daemonLog });
