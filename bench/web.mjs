#!/usr/bin/env node
// bench/web: the daemon over TCP (--web) beside the same daemon over its Unix socket, in one run.
//   (a) GET /api/sessions over TCP with an API token (keep-alive) vs GET /sessions over the socket (keep-alive),
//       interleaved one by one, 20 sessions listed; p50/p99 of each, and requests/s of each with 4 clients at once.
//       target: TCP+auth p50 <= 1.5x socket p50
//   (b) one session printing a timestamped line every 20 ms, fanned out to 50 WebSocket subscribers: the daemon's
//       CPU time per second beside the same stream to one subscriber, and for each line the time until the LAST
//       subscriber has it (from the line's own timestamp, written by the agent).
//       target: p99 < 50 ms. Baseline: a tmux control-mode client of its own on the same session, timed alike.
// Everything lives in a temp dir with a private tmux server (-L); the daemon, the tmux server and the temp dir are
// removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/web.mjs [--quick] [--runs N] [--json]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cleanUpOnSignals, formatColumns, now, parseRuns, percentile, requestJson, runBench, stopDaemonSync } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const runs = parseRuns(process.argv, quick ? 300 : 2000);
const plan = { sessions: 20, subscribers: 50, streamSeconds: quick ? 3 : 8, lineEveryMs: 20, throughputSeconds: quick ? 1 : 3, concurrency: 4 };
const TARGET_RATIO = 1.5;
const TARGET_FANOUT_P99_MS = 50;

const tmpBase = path.join(os.tmpdir(), 'cpb-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-web-'));
const socketPath = path.join(dir, 'd.sock');
const home = path.join(dir, 'home');
const tmuxServer = `cpb-web-${process.pid}`;
const env = {
  ...process.env,
  CODEPIPER_HOME: home,
  CODEPIPER_SOCKET: socketPath,
  CODEPIPER_TMUX_SOCKET: tmuxServer,
  CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
  CODEX_HOME: path.join(dir, 'codex'),
};
delete env.XDG_RUNTIME_DIR;
delete env.TMUX;
delete env.TMUX_PANE;

const note = (message) => process.stderr.write(`  ${message}\n`);
const socketAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const api = (method, urlPath, body) => requestJson({ socketPath, agent: socketAgent, method, path: urlPath, body });
let daemon;
const daemonLog = [];

/** One keep-alive GET over TCP with the token; resolves with its wall time in ms. */
function tcpGet(base, agent, token, urlPath) {
  return new Promise((resolve, reject) => {
    const started = now();
    const req = http.request(`${base}${urlPath}`, { agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(now() - started) : reject(new Error(`GET ${urlPath} over TCP answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests answered per second by `clients` loops of `request` running together for `seconds`. */
async function throughput(request, clients, seconds) {
  const deadline = now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() < deadline) {
        await request();
        done++;
      }
    }),
  );
  return done / seconds;
}

/** User plus system CPU seconds of a process so far (clock ticks of /proc/<pid>/stat, at 100 per second). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `count` WebSocket clients subscribed to the session's output; each line's arrival time per client is kept. */
async function subscribers(base, token, sessionId, count) {
  const arrivals = new Map(); // line stamp -> [arrival ms of each client]
  const clients = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
    let pending = '';
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.type !== 'event' || frame.event !== 'output') return;
      const at = Date.now();
      pending += Buffer.from(frame.data.data, 'base64').toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const match = /T(\d{13})/.exec(line);
        if (!match) continue;
        const list = arrivals.get(match[1]) ?? [];
        list.push(at);
        arrivals.set(match[1], list);
      }
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const ready = new Promise((resolve) => ws.on('message', (raw) => JSON.parse(String(raw)).type === 'ready' && resolve()));
    ws.send(JSON.stringify({ type: 'subscribe', topics: [`session:${sessionId}:output`] }));
    await ready;
    clients.push(ws);
  }
  return {
    arrivals,
    close: () => clients.forEach((ws) => ws.close()),
  };
}

/**
 * The baseline: a tmux control-mode client of its own on the same session (what the daemon itself reads), the same
 * lines timed the same way. What the daemon adds to a line's trip is our figure minus this one.
 */
async function rawTmux(tmuxSession) {
  const child = spawn('tmux', ['-L', tmuxServer, '-C', 'attach', '-r', '-t', `=${tmuxSession}`], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const latencies = [];
  let buffer = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (text) => {
    const at = Date.now();
    buffer += text;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) {
      if (!line.startsWith('%output ')) continue;
      for (const match of line.matchAll(/T(\d{13})/g)) latencies.push(at - Number(match[1]));
    }
  });
  await sleep(300);
  latencies.length = 0;
  await sleep(plan.streamSeconds * 1000);
  child.stdin.end();
  child.kill();
  if (latencies.length === 0) throw new Error('the raw tmux control client saw no line');
  return { count: 'raw tmux -C', lines: latencies.length, incomplete: 0, cpuPerSecond: NaN, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

/** Streams for plan.streamSeconds to `count` subscribers; the daemon's CPU per second and, per line, the last arrival. */
async function fanOut(base, token, sessionId, count) {
  const group = await subscribers(base, token, sessionId, count);
  await sleep(300); // let the first lines settle in
  group.arrivals.clear();
  const cpuBefore = cpuSeconds(daemon.pid);
  const started = now();
  await sleep(plan.streamSeconds * 1000);
  const cpuPerSecond = (cpuSeconds(daemon.pid) - cpuBefore) / ((now() - started) / 1000);
  await sleep(200); // the last lines' stragglers
  group.close();
  const latencies = [];
  let incomplete = 0;
  for (const [stamp, list] of group.arrivals) {
    if (list.length < count) {
      incomplete++;
      continue;
    }
    latencies.push(Math.max(...list) - Number(stamp));
  }
  if (latencies.length === 0) throw new Error(`no line reached all ${count} subscribers`);
  return { count, lines: latencies.length, incomplete, cpuPerSecond, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

async function main() {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  // The bench asks as fast as it can from one address: a rate limit that never bites.
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ web: { rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } }));
  daemon = spawn(process.execPath, [bin, 'daemon', 'start', '--web', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const output of [daemon.stdout, daemon.stderr]) {
    output.setEncoding('utf8');
    output.on('data', (text) => daemonLog.push(...text.split('\n').filter(Boolean)));
  }
  let base;
  for (const deadline = Date.now() + 15_000; !base && Date.now() < deadline; await sleep(50)) {
    base = (await api('GET', '/web/status').catch(() => undefined))?.body.url ?? undefined;
  }
  if (!base) throw new Error('the daemon did not serve --web within 15 s');
  const token = (await api('POST', '/tokens', { name: 'bench', scope: 'read' })).body.token;
  note(`daemon pid ${daemon.pid} at ${base}; ${plan.sessions} sessions`);
  for (let i = 0; i < plan.sessions; i++) await api('POST', '/sessions', { provider: 'command', args: ['bash', '--norc', '--noprofile'], name: `s${i}`, cwd: dir });

  // (a) the list route, interleaved: TCP with auth, then the socket.
  const tcpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const tcp = [];
  const unix = [];
  for (let i = 0; i < 50; i++) {
    await tcpGet(base, tcpAgent, token, '/api/sessions');
    await api('GET', '/sessions');
  }
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      tcp.push(await tcpGet(base, tcpAgent, token, '/api/sessions'));
      unix.push((await api('GET', '/sessions')).ms);
    } else {
      unix.push((await api('GET', '/sessions')).ms);
      tcp.push(await tcpGet(base, tcpAgent, token, '/api/sessions'));
    }
  }
  const bytes = (await api('GET', '/sessions')).bytes;
  const manyTcp = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const manyUnix = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const tcpRps = await throughput(() => tcpGet(base, manyTcp, token, '/api/sessions'), plan.concurrency, plan.throughputSeconds);
  const unixRps = await throughput(() => requestJson({ socketPath, agent: manyUnix, method: 'GET', path: '/sessions' }), plan.concurrency, plan.throughputSeconds);

  // (b) one streaming session, one subscriber then fifty.
  const stream = (
    await api('POST', '/sessions', {
      provider: 'command',
      args: [process.execPath, '-e', `setInterval(() => console.log('T' + Date.now()), ${plan.lineEveryMs})`],
      name: 'stream',
      cwd: dir,
    })
  ).body;
  const raw = await rawTmux(stream.tmuxSession);
  const one = await fanOut(base, token, stream.id, 1);
  const many = await fanOut(base, token, stream.id, plan.subscribers);
  return {
    runs,
    sessions: plan.sessions,
    answerBytes: bytes,
    list: {
      tcp: { p50: percentile(tcp, 50), p99: percentile(tcp, 99), rps: tcpRps },
      unix: { p50: percentile(unix, 50), p99: percentile(unix, 99), rps: unixRps },
      ratioP50: percentile(tcp, 50) / percentile(unix, 50),
      target: TARGET_RATIO,
    },
    fanout: { raw, one, many, cpuRatio: many.cpuPerSecond / Math.max(one.cpuPerSecond, 0.001), targetP99: TARGET_FANOUT_P99_MS },
  };
}

function report(r) {
  const ms = (value) => `${value.toFixed(2)} ms`;
  const lines = [
    `bench/web: ${r.sessions} sessions listed (${r.answerBytes} bytes), ${r.runs} interleaved requests each way`,
    ...formatColumns([
      ['GET sessions', 'p50', 'p99', 'req/s (x4 clients)'],
      ['TCP + token (/api/sessions)', ms(r.list.tcp.p50), ms(r.list.tcp.p99), r.list.tcp.rps.toFixed(0)],
      ['Unix socket (/sessions)', ms(r.list.unix.p50), ms(r.list.unix.p99), r.list.unix.rps.toFixed(0)],
    ]),
    `  ratio p50 TCP/socket: ${r.list.ratioP50.toFixed(2)}x (target <= ${r.list.target}x: ${r.list.ratioP50 <= r.list.target ? 'met' : 'NOT met'})`,
    '',
    `one session, a line every ${plan.lineEveryMs} ms, to WebSocket subscribers (time until the last subscriber has a line)`,
    ...formatColumns([
      ['subscribers', 'lines', 'p50', 'p99', 'max', 'daemon CPU s/s'],
      ...[r.fanout.raw, r.fanout.one, r.fanout.many].map((f) => [String(f.count), String(f.lines), ms(f.p50), ms(f.p99), ms(f.max), Number.isNaN(f.cpuPerSecond) ? '-' : f.cpuPerSecond.toFixed(3)]),
    ]),
    `  daemon CPU with ${r.fanout.many.count} subscribers: ${r.fanout.cpuRatio.toFixed(1)}x one subscriber's`,
    `  p99 to the last of ${r.fanout.many.count}: ${ms(r.fanout.many.p99)} (target < ${r.fanout.targetP99} ms: ${r.fanout.many.p99 < r.fanout.targetP99 ? 'met' : 'NOT met'}); raw tmux's own p99 in the same run: ${ms(r.fanout.raw.p99)}`,
  ];
  return lines.join('\n');
}

function cleanup() {
  stopDaemonSync(daemon);
  spawnSync('tmux', ['-L', tmuxServer, 'kill-server'], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}

cleanUpOnSignals('web', cleanup);
await runBench({ name: 'web', main, report, asJson, cleanup, daemonLog: () => daemonLog });
