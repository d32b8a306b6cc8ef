#!/usr/bin/env node
// bench/tui: what the full-screen dashboard costs, each figure beside a baseline measured in the same run.
//   (1) launch: `codepiper` (no arguments) in a pseudo-terminal, from spawn to the first frame that lists every session
//                                                             vs `node -e 0` in the same kind of pty, to its exit, interleaved
//       for context, interleaved too: time to the dashboard's first byte, and `codepiper sessions` (the plain listing)
//   (2) one session printing colourful lines as fast as tmux takes them, the dashboard showing it in a 100×30 pty:
//       frames per second, CPU of the dashboard (cores), its output bytes/s
//                                                             vs a plain `tmux attach` to the same session in the same pty
//       key to frame: `2` (the Policies screen, whose frame holds "PRIO") and `1` (back, "STATE"), pressed mid-stream
//       the daemon's and the tmux server's CPU in those windows and in one with no viewer, and the stream's own rate
//       (for information: a tmux client hands its terminal to the server, which draws into it, so its own CPU is ~0)
// Frames are counted by Ink's synchronized-update markers: on a TTY (and outside CI) Ink 6 writes each frame between
// ESC[?2026h and ESC[?2026l (ink/build/ink.js, throttledLog), so one pair is one frame. Bursts of output separated by
// >= 5 ms of silence are counted too, as a cross-check, and for the tmux client, which has no markers (its output is
// nearly continuous under a flood, so its bytes/s says more).
// Everything lives in a temp dir with a private tmux server (-L cpb-tui-<pid>); the default tmux server and
// ~/.codepiper are never touched. The dashboards and tmux clients started here, the daemon, the tmux server and the temp
// dir are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/tui.mjs [--quick] [--runs N] [--json]
//   targets: (1) ratio of medians <= 3x   (2) dashboard < 1 core while streaming; key to frame median < 100 ms
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cleanUpOnSignals, formatColumns, median, now, parseRuns, percentile, runBench, running, sleepSync } from './lib.mjs';

const require = createRequire(import.meta.url);
const pty = require('node-pty');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');

/** Sizes of the run; --quick is a smoke run that only checks the benchmark works end to end. */
const plan = {
  launches: parseRuns(process.argv, quick ? 5 : 20),
  warmup: quick ? 2 : 3,
  /** Streaming windows rotate (dashboard, tmux attach, no viewer), one of each per round, each `windowMs` long. */
  rounds: quick ? 1 : 2,
  windowMs: quick ? 3_000 : 10_000,
  /** Pairs of key presses (2 then 1) after each of the dashboard's windows, the session still streaming. */
  keyPairs: quick ? 5 : 10,
  cols: 100,
  rows: 30,
};
const targets = { launchRatio: 3, cores: 1, keyMedianMs: 100 };

/** The sessions the launch must list; of different lengths, so that a list clipping names to one width shows it. */
const LIST_NAMES = ['list-alpha', 'list-bravo-charlie', 'list-d'];
const STREAM_NAME = 'cpb-flood';
/**
 * Colourful numbered lines, written as fast as the pane takes them (tmux is the bottleneck). Plain argv, no newline:
 * it goes through the CLI, the daemon and tmux as it is. Nothing in it spells PRIO or STATE, the markers of (2).
 */
const STREAM_SCRIPT =
  "const w=require('fs').writeSync,c=[31,32,33,34,35,36];let i=0;for(;;){let s='';" +
  "for(let k=0;k<100;k++,i++)s+='\\x1b['+c[i%6]+'m'+i+' \\x1b[1mflood\\x1b[22m lorem ipsum dolor sit amet '+'#'.repeat(i%37)+'\\x1b[0m\\n';" +
  "try{w(1,s)}catch(e){if(e.code!=='EAGAIN')throw e}}";
/** How long a launch may take to list the sessions, and a quit to end the process, before that is a failure. */
const LIST_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;
const KEY_TIMEOUT_MS = 5_000;
/** Silence that separates two bursts of output. */
const BURST_GAP_MS = 5;
const BSU = '\u001b[?2026h';
const ESU = '\u001b[?2026l';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

// The socket path must stay under the ~104-byte limit of a Unix socket address, so a long TMPDIR falls back to /tmp.
const tmpBase = path.join(os.tmpdir(), 'cpb-tui-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-tui-'));
const tmuxServer = `cpb-tui-${process.pid}`;
const env = { ...process.env };
// Inherited from a shell inside tmux or inside a CodePiper session, these would point at the user's own.
for (const key of Object.keys(env)) if (key.startsWith('CODEPIPER_')) delete env[key];
delete env.XDG_RUNTIME_DIR;
delete env.TMUX;
delete env.TMUX_PANE;
// With CI set, Ink draws nothing until it exits (is-in-ci); NO_COLOR would change every frame.
delete env.CI;
delete env.CONTINUOUS_INTEGRATION;
delete env.NO_COLOR;
Object.assign(env, {
  CODEPIPER_HOME: path.join(dir, 'home'),
  CODEPIPER_SOCKET: path.join(dir, 'd.sock'),
  CODEPIPER_TMUX_SOCKET: tmuxServer,
  CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
  CODEX_HOME: path.join(dir, 'codex'),
  XDG_DATA_HOME: path.join(dir, 'data'),
  XDG_CONFIG_HOME: path.join(dir, 'config'),
});

const note = (message) => process.stderr.write(`  ${message}\n`);
/** Things that looked wrong in the dashboard's behaviour, reported after the figures. */
const problems = [];

// ---- processes: the CLI, tmux, /proc readings, clean-up ----

/** Pids of the processes this bench spawned in a pty and has not seen exit. */
const livePtys = new Set();
let daemonPid;
let tmuxServerPid;

function cli(...args) {
  const result = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`codepiper ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return result.stdout;
}

function tmux(...args) {
  const result = spawnSync('tmux', ['-L', tmuxServer, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** CPU seconds of a process (all its threads) from /proc/<pid>/stat: utime + stime, fields 14 and 15. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11] + fields[12]) / CLK_TCK;
}

/** Bytes a process has written so far (to its terminal, for the stream), from /proc/<pid>/io. */
function writtenBytes(pid) {
  return Number(/^wchar: (\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
}

/** Sends a signal to a process of ours if it is still there (it may have exited a moment ago). */
function signal(pid, name) {
  if (!running(pid)) return;
  try {
    process.kill(pid, name);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

let cleanedUp = false;
/** Synchronous, so the same code serves the normal end, an error and a signal. Only ever kills what we started. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const pid of livePtys) signal(pid, 'SIGKILL');
  spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore', timeout: 15_000 });
  if (daemonPid) {
    for (let waited = 0; running(daemonPid) && waited < 5_000; waited += 50) sleepSync(50);
    signal(daemonPid, 'SIGKILL');
  }
  spawnSync('tmux', ['-L', tmuxServer, 'kill-server'], { env, stdio: 'ignore' });
  // kill-server returns before the server process is gone.
  for (let waited = 0; tmuxServerPid && running(tmuxServerPid) && waited < 2_000; waited += 50) sleepSync(50);
  // A killed server can leave its socket file behind in tmux's socket directory.
  fs.rmSync(path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`, tmuxServer), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

cleanUpOnSignals('tui', cleanup);

// ---- a process in a pseudo-terminal ----

// CSI, OSC, charset selection and the other two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][ -~]|\u001b[@-Z\\-_]/g;
const stripAnsi = (text) => text.replace(ANSI, '');

/**
 * Spawns argv in a pty of plan.cols × plan.rows with the bench env. Counts bytes, bursts and synchronized-update
 * frames as they arrive; `onChunk(text, at)` sees every chunk, `waitFrame(marker)` resolves with the arrival time of
 * the first whole frame whose text (escapes stripped) contains the marker. Times are `now()` milliseconds.
 */
function spawnInPty(argv) {
  const startedAt = now();
  const term = pty.spawn(argv[0], argv.slice(1), { name: 'xterm-256color', cols: plan.cols, rows: plan.rows, cwd: dir, env });
  livePtys.add(term.pid);
  const run = {
    term,
    pid: term.pid,
    startedAt,
    firstByteAt: null,
    bytes: 0,
    bursts: 0,
    frames: 0,
    lastFrame: '',
    exitedAt: null,
    onChunk: null,
    waiters: [],
    waitFrame(marker, timeoutMs = KEY_TIMEOUT_MS) {
      return new Promise((resolve) => {
        const waiter = { marker, resolve };
        waiter.timer = setTimeout(() => {
          run.waiters = run.waiters.filter((other) => other !== waiter);
          resolve(null);
        }, timeoutMs);
        run.waiters.push(waiter);
      });
    },
    /** Resolves once the process has exited (true), or with false after `timeoutMs`. */
    waitExit(timeoutMs) {
      if (run.exitedAt !== null) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        exited.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    /** Ends the process: SIGTERM, then SIGKILL if it is still there after a second. */
    async kill() {
      if (run.exitedAt !== null) return;
      signal(run.pid, 'SIGTERM');
      if (!(await run.waitExit(1_000))) signal(run.pid, 'SIGKILL');
      await run.waitExit(EXIT_TIMEOUT_MS);
    },
  };
  let lastChunkAt = -Infinity;
  let pending = '';
  let inFrame = false;
  term.onData((text) => {
    const at = now();
    run.firstByteAt ??= at;
    run.bytes += Buffer.byteLength(text);
    if (at - lastChunkAt >= BURST_GAP_MS) run.bursts++;
    lastChunkAt = at;
    run.onChunk?.(text, at);
    // Frames: the text between a BSU and the next ESU; a marker split across two chunks is kept in `pending`.
    pending += text;
    for (;;) {
      if (!inFrame) {
        const start = pending.indexOf(BSU);
        if (start < 0) {
          pending = pending.slice(-(BSU.length - 1));
          break;
        }
        pending = pending.slice(start + BSU.length);
        inFrame = true;
      }
      const end = pending.indexOf(ESU);
      if (end < 0) break;
      const frame = pending.slice(0, end);
      pending = pending.slice(end + ESU.length);
      inFrame = false;
      run.frames++;
      run.lastFrame = frame;
      if (run.waiters.length) {
        const plain = stripAnsi(frame);
        for (const waiter of [...run.waiters]) {
          if (!plain.includes(waiter.marker)) continue;
          clearTimeout(waiter.timer);
          run.waiters = run.waiters.filter((other) => other !== waiter);
          waiter.resolve(at);
        }
      }
    }
  });
  const exited = new Promise((resolve) =>
    term.onExit(({ exitCode, signal }) => {
      run.exitedAt = now();
      run.exit = { code: exitCode, signal };
      livePtys.delete(term.pid);
      resolve();
    }),
  );
  return run;
}

// ---- (1) launch ----

const DASHBOARD = [process.execPath, bin];
const NODE_EMPTY = [process.execPath, '-e', '0'];
const CLI_LIST = [process.execPath, bin, 'sessions'];

/** One launch of the dashboard: spawn to every name on screen, then q and the time it takes to exit. */
async function launchDashboard() {
  const run = spawnInPty(DASHBOARD);
  let raw = '';
  const listed = new Promise((resolve) => {
    run.onChunk = (text, at) => {
      raw += text;
      const plain = stripAnsi(raw);
      if (LIST_NAMES.every((name) => plain.includes(name))) {
        run.onChunk = null;
        resolve(at);
      }
    };
  });
  const gone = run.waitExit(LIST_TIMEOUT_MS).then(() => null);
  const listedAt = await Promise.race([listed, gone]);
  if (!listedAt) {
    await run.kill();
    const shown = stripAnsi(raw).replace(/\s+/g, ' ').slice(-600);
    throw new Error(`the dashboard ${run.exitedAt === null ? `did not list ${LIST_NAMES.join(', ')} within ${LIST_TIMEOUT_MS / 1000} s` : `exited (${JSON.stringify(run.exit)}) before listing the sessions`}; it showed: ${shown}`);
  }
  const quitAt = now();
  run.term.write('q');
  if (!(await run.waitExit(EXIT_TIMEOUT_MS))) {
    problems.push(`the dashboard (pid ${run.pid}) was still running ${EXIT_TIMEOUT_MS / 1000} s after q; killed`);
    await run.kill();
  } else if (run.exit.code !== 0) problems.push(`the dashboard exited ${JSON.stringify(run.exit)} after q`);
  return { listMs: listedAt - run.startedAt, firstByteMs: run.firstByteAt - run.startedAt, quitMs: run.exitedAt - quitAt };
}

/** One run of a command that exits by itself, in the same kind of pty: spawn to exit. */
async function timeToExit(argv, expect = []) {
  const run = spawnInPty(argv);
  let raw = '';
  run.onChunk = (text) => (raw += text);
  if (!(await run.waitExit(LIST_TIMEOUT_MS))) {
    await run.kill();
    throw new Error(`${argv.join(' ')} did not exit within ${LIST_TIMEOUT_MS / 1000} s`);
  }
  if (run.exit.code !== 0) throw new Error(`${argv.join(' ')} exited ${JSON.stringify(run.exit)}: ${stripAnsi(raw).trim()}`);
  const plain = stripAnsi(raw);
  const missing = expect.filter((name) => !plain.includes(name));
  if (missing.length) throw new Error(`${argv.join(' ')} did not print ${missing.join(', ')}: ${plain.trim()}`);
  return run.exitedAt - run.startedAt;
}

async function measureLaunch() {
  const times = { ours: [], firstByte: [], quit: [], node: [], cli: [] };
  const kinds = ['ours', 'node', 'cli'];
  for (let i = -plan.warmup; i < plan.launches; i++) {
    // Rotate the order so that none always runs first, on caches another warmed.
    const order = kinds.map((_, k) => kinds[(k + i + plan.warmup) % kinds.length]);
    for (const kind of order) {
      if (kind === 'ours') {
        const { listMs, firstByteMs, quitMs } = await launchDashboard();
        if (i >= 0) {
          times.ours.push(listMs);
          times.firstByte.push(firstByteMs);
          times.quit.push(quitMs);
        }
      } else {
        const ms = kind === 'node' ? await timeToExit(NODE_EMPTY) : await timeToExit(CLI_LIST, LIST_NAMES);
        if (i >= 0) times[kind].push(ms);
      }
    }
  }
  return times;
}

// ---- (2) streaming ----

/** Readings at the start or end of a window: the watched process, the daemon, the tmux server and the stream. */
function snapshot(run, producerPid) {
  return {
    at: now(),
    cpu: run ? cpuSeconds(run.pid) : 0,
    daemon: cpuSeconds(daemonPid),
    tmuxServer: cpuSeconds(tmuxServerPid),
    streamBytes: writtenBytes(producerPid),
    bytes: run?.bytes ?? 0,
    bursts: run?.bursts ?? 0,
    frames: run?.frames ?? 0,
  };
}

function difference(before, after) {
  return {
    seconds: (after.at - before.at) / 1000,
    cpu: after.cpu - before.cpu,
    daemon: after.daemon - before.daemon,
    tmuxServer: after.tmuxServer - before.tmuxServer,
    streamBytes: after.streamBytes - before.streamBytes,
    bytes: after.bytes - before.bytes,
    bursts: after.bursts - before.bursts,
    frames: after.frames - before.frames,
  };
}

/** Makes the flood session the selected one: it should be already (newest first), else g, then j until it is. */
async function selectStream(run) {
  const title = `─ ${STREAM_NAME} ·`;
  if (await run.waitFrame(title, 3_000)) return 'already selected';
  for (const [index, key] of ['g', ...LIST_NAMES.map(() => 'j')].entries()) {
    run.term.write(key);
    if (await run.waitFrame(title, 1_000)) return `selected after ${index + 1} key(s)`;
  }
  throw new Error(`could not select ${STREAM_NAME} in the dashboard; last frame: ${stripAnsi(run.lastFrame).slice(0, 600)}`);
}

/** Presses 2 and 1 in turn, measuring each key to the first frame of the screen it opens. */
async function pressKeys(run, pairs, latencies) {
  for (let i = 0; i < pairs; i++) {
    for (const [key, marker] of [
      ['2', 'PRIO'],
      ['1', 'STATE'],
    ]) {
      // A pause of varying length, so that presses do not fall in step with the dashboard's 50 ms refresh.
      await sleep(150 + Math.random() * 150);
      const seen = run.waitFrame(marker);
      const pressedAt = now();
      run.term.write(key);
      const at = await seen;
      if (at === null) problems.push(`key ${key}: no frame with ${marker} within ${KEY_TIMEOUT_MS / 1000} s`);
      else latencies[key].push(at - pressedAt);
    }
  }
}

/** One window of `ms` with the dashboard showing the flood, then the key presses (not in the window). */
async function dashboardWindow(ms, producerPid, keyPairs, latencies) {
  const run = spawnInPty(DASHBOARD);
  try {
    const selection = await selectStream(run);
    // The launch's own work (usage, the first reads) is over by then.
    await sleep(1_000);
    const before = snapshot(run, producerPid);
    await sleep(ms);
    const window = difference(before, snapshot(run, producerPid));
    if (keyPairs) await pressKeys(run, keyPairs, latencies);
    run.term.write('q');
    if (!(await run.waitExit(EXIT_TIMEOUT_MS))) {
      problems.push(`the dashboard (pid ${run.pid}) was still running ${EXIT_TIMEOUT_MS / 1000} s after q while a session streamed; killed`);
      await run.kill();
    }
    return { ...window, selection };
  } finally {
    await run.kill();
  }
}

/** One window of `ms` with a plain tmux client attached to the flood session. */
async function tmuxWindow(ms, producerPid, tmuxSession) {
  const run = spawnInPty(['tmux', '-L', tmuxServer, 'attach-session', '-t', `=${tmuxSession}`]);
  try {
    const drawn = new Promise((resolve) => (run.onChunk = () => resolve(true)));
    if (!(await Promise.race([drawn, sleep(5_000, false)]))) throw new Error(`tmux attach -t =${tmuxSession} drew nothing within 5 s`);
    run.onChunk = null;
    await sleep(1_000);
    const before = snapshot(run, producerPid);
    await sleep(ms);
    const window = difference(before, snapshot(run, producerPid));
    if (run.exitedAt !== null) throw new Error(`the tmux client exited during the window: ${JSON.stringify(run.exit)}`);
    return window;
  } finally {
    await run.kill();
  }
}

/** One window of `ms` with nothing showing the flood: what the daemon and the tmux server spend without a viewer. */
async function quietWindow(ms, producerPid) {
  const before = snapshot(null, producerPid);
  await sleep(ms);
  return difference(before, snapshot(null, producerPid));
}

function sumWindows(windows) {
  const total = {};
  for (const window of windows) for (const [key, value] of Object.entries(window)) if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
  return {
    windows: windows.length,
    seconds: total.seconds,
    cores: total.cpu / total.seconds,
    daemonCores: total.daemon / total.seconds,
    tmuxServerCores: total.tmuxServer / total.seconds,
    streamMBps: total.streamBytes / total.seconds / 1e6,
    outputKBps: total.bytes / total.seconds / 1e3,
    burstsPerSecond: total.bursts / total.seconds,
    framesPerSecond: total.frames / total.seconds,
    perWindow: windows.map((window) => ({ cores: window.cpu / window.seconds, framesPerSecond: window.frames / window.seconds, streamMBps: window.streamBytes / window.seconds / 1e6 })),
  };
}

async function measureStreaming() {
  const session = JSON.parse(cli('start', '-p', 'command', '--name', STREAM_NAME, '-d', dir, '--json', '--', process.execPath, '-e', STREAM_SCRIPT));
  const producerPid = Number(tmux('list-panes', '-t', `=${session.tmuxSession}`, '-F', '#{pane_pid}'));
  await sleep(1_000);
  const rate = writtenBytes(producerPid);
  await sleep(1_000);
  const mbps = (writtenBytes(producerPid) - rate) / 1e6;
  if (mbps < 1) problems.push(`the flood session writes only ${mbps.toFixed(2)} MB/s`);
  note(`flood session ${session.id} (tmux ${session.tmuxSession}, pid ${producerPid}) writes ${mbps.toFixed(1)} MB/s`);

  // Warm-up, not counted: the first tmux attach also sizes the window to the pty, as every later client does, so every
  // window below sees the same pane.
  note('warm-up: a tmux client and a dashboard, 1 s each');
  await tmuxWindow(1_000, producerPid, session.tmuxSession);
  const warm = await dashboardWindow(1_000, producerPid, 0, null);
  note(`flood session in the dashboard: ${warm.selection}`);

  const windows = { ours: [], tmux: [], none: [] };
  const latencies = { 2: [], 1: [] };
  const kinds = ['ours', 'tmux', 'none'];
  const what = { ours: 'the dashboard', tmux: 'tmux attach', none: 'no viewer' };
  for (let round = 0; round < plan.rounds; round++) {
    // Rotate the order, so that no side always comes first after the previous one's clean-up.
    const order = kinds.map((_, k) => kinds[(k + round) % kinds.length]);
    for (const which of order) {
      note(`round ${round + 1}/${plan.rounds}: ${what[which]}, ${plan.windowMs / 1000} s${which === 'ours' ? `, then ${plan.keyPairs} pairs of keys` : ''}`);
      if (which === 'ours') windows.ours.push(await dashboardWindow(plan.windowMs, producerPid, plan.keyPairs, latencies));
      else if (which === 'tmux') windows.tmux.push(await tmuxWindow(plan.windowMs, producerPid, session.tmuxSession));
      else windows.none.push(await quietWindow(plan.windowMs, producerPid));
    }
  }
  const both = [...latencies[2], ...latencies[1]];
  const keyStats = (values) => (values.length ? { n: values.length, median: median(values), p90: percentile(values, 90), max: Math.max(...values) } : { n: 0, median: NaN, p90: NaN, max: NaN });
  return {
    method: {
      frames: "pairs of ESC[?2026h … ESC[?2026l in the dashboard's output (Ink 6's synchronized update around each frame)",
      bursts: `output separated by >= ${BURST_GAP_MS} ms of silence`,
      cpu: `utime + stime of /proc/<pid>/stat at both ends of each window, over its wall time (CLK_TCK ${CLK_TCK})`,
      keys: 'from the write of the key into the pty to the arrival of the first whole frame holding the marker',
    },
    session: { id: session.id, tmuxSession: session.tmuxSession, paneSize: tmux('list-panes', '-t', `=${session.tmuxSession}`, '-F', '#{pane_width}x#{pane_height}') },
    ours: sumWindows(windows.ours),
    tmux: sumWindows(windows.tmux),
    none: sumWindows(windows.none),
    keys: { all: keyStats(both), policies: keyStats(latencies[2]), sessions: keyStats(latencies[1]) },
  };
}

// ---- the run ----

const stats = (values) => ({ n: values.length, median: median(values), p90: percentile(values, 90) });
const f = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

async function main() {
  const tmuxVersion = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).stdout.trim();
  const result = { mode: quick ? 'quick' : 'full', node: process.version, tmux: tmuxVersion, cpus: os.cpus().length, plan, targets };

  cli('daemon', 'start', '--detach');
  daemonPid = JSON.parse(cli('daemon', 'status', '--json')).pid;
  for (const name of LIST_NAMES) cli('start', '-p', 'command', '--name', name, '-d', dir, '--', 'bash', '-c', 'echo ready; exec sleep 1000');
  tmuxServerPid = Number(tmux('display-message', '-p', '#{pid}'));
  note(`daemon pid ${daemonPid} on ${env.CODEPIPER_SOCKET}; tmux -L ${tmuxServer} (pid ${tmuxServerPid}); sessions ${LIST_NAMES.join(', ')}`);

  note(`launch: ${plan.launches} runs each after ${plan.warmup} warm-up, interleaved`);
  const launch = await measureLaunch();
  result.launch = {
    sessions: LIST_NAMES.length,
    ours: stats(launch.ours),
    node: stats(launch.node),
    firstByte: stats(launch.firstByte),
    quit: stats(launch.quit),
    cliSessions: stats(launch.cli),
  };
  result.launch.ratio = result.launch.ours.median / result.launch.node.median;

  result.streaming = await measureStreaming();
  result.problems = problems;
  return result;
}

// ---- the report ----

function report(r) {
  const l = r.launch;
  const s = r.streaming;
  const ratio = (a, b) => (b > 0 ? `${f(a / b, 2)}x` : 'n/a');
  const lines = [
    `tui bench (${r.mode} run): Node ${r.node}, ${r.tmux}, ${r.cpus} CPUs, pty ${r.plan.cols}x${r.plan.rows}`,
    `(1) launch to the first frame listing ${l.sessions} sessions: ${l.ours.n} interleaved runs each`,
    `    codepiper (dashboard)              median ${f(l.ours.median)} ms   p90 ${f(l.ours.p90)} ms`,
    `    node -e 0 (to exit)                median ${f(l.node.median)} ms   p90 ${f(l.node.p90)} ms`,
    `    ratio of medians ${ratio(l.ours.median, l.node.median)} (target <= ${r.targets.launchRatio}x)`,
    `    dashboard's first byte             median ${f(l.firstByte.median)} ms   p90 ${f(l.firstByte.p90)} ms`,
    `    codepiper sessions (to exit)       median ${f(l.cliSessions.median)} ms   p90 ${f(l.cliSessions.p90)} ms`,
    `    q to exit                          median ${f(l.quit.median)} ms   p90 ${f(l.quit.p90)} ms`,
    `(2) a session streaming (pane ${s.session.paneSize}), ${s.ours.windows} window(s) of ${r.plan.windowMs / 1000} s per side, rotated`,
    `    dashboard    ${f(s.ours.cores, 3)} cores   ${f(s.ours.framesPerSecond)} frames/s (${f(s.ours.burstsPerSecond)} bursts/s)   ${f(s.ours.outputKBps)} KB/s out   stream ${f(s.ours.streamMBps)} MB/s`,
    `    tmux attach  ${f(s.tmux.cores, 3)} cores   ${f(s.tmux.burstsPerSecond)} bursts/s                 ${f(s.tmux.outputKBps)} KB/s out   stream ${f(s.tmux.streamMBps)} MB/s`,
    `    no viewer                                                                stream ${f(s.none.streamMBps)} MB/s`,
    `    daemon       ${f(s.ours.daemonCores, 3)} cores with the dashboard, ${f(s.tmux.daemonCores, 3)} with tmux attach, ${f(s.none.daemonCores, 3)} with no viewer`,
    `    tmux server  ${f(s.ours.tmuxServerCores, 3)} cores with the dashboard, ${f(s.tmux.tmuxServerCores, 3)} with tmux attach, ${f(s.none.tmuxServerCores, 3)} with no viewer`,
    '    (a tmux client hands its terminal to the server, which writes the screen itself: the drawing is in the server\'s figure)',
    `    key to frame, mid-stream (${s.keys.all.n} presses): median ${f(s.keys.all.median)} ms   p90 ${f(s.keys.all.p90)} ms   max ${f(s.keys.all.max)} ms`,
    `      2 -> Policies ("PRIO") median ${f(s.keys.policies.median)} ms, max ${f(s.keys.policies.max)} ms; 1 -> Sessions ("STATE") median ${f(s.keys.sessions.median)} ms, max ${f(s.keys.sessions.max)} ms`,
    `    frames: pairs of ESC[?2026h … ESC[?2026l (Ink's synchronized update); bursts: output separated by >= ${BURST_GAP_MS} ms of silence`,
    '',
  ];
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const rows = [
    ['check', 'ours', 'baseline', 'ratio', 'target', 'result'],
    ['(1) launch to sessions listed, median', `${f(l.ours.median)} ms`, `node -e 0 ${f(l.node.median)} ms`, ratio(l.ours.median, l.node.median), `<= ${r.targets.launchRatio}x`, pass(l.ratio <= r.targets.launchRatio)],
    ['(1) launch, p90', `${f(l.ours.p90)} ms`, `node -e 0 ${f(l.node.p90)} ms`, ratio(l.ours.p90, l.node.p90), '-', 'info'],
    ['(1) first byte, median', `${f(l.firstByte.median)} ms`, `node -e 0 ${f(l.node.median)} ms`, ratio(l.firstByte.median, l.node.median), '-', 'info'],
    ['(1) codepiper sessions, median', `${f(l.cliSessions.median)} ms`, `node -e 0 ${f(l.node.median)} ms`, ratio(l.cliSessions.median, l.node.median), '-', 'info'],
    ['(2) dashboard CPU while streaming', `${f(s.ours.cores, 3)} cores`, `tmux client ${f(s.tmux.cores, 3)} cores`, ratio(s.ours.cores, s.tmux.cores), `< ${r.targets.cores} core`, pass(s.ours.cores < r.targets.cores)],
    ['(2) frames per second', `${f(s.ours.framesPerSecond)}`, `tmux attach ${f(s.tmux.burstsPerSecond)} bursts/s`, '-', '-', 'info'],
    ['(2) output while streaming', `${f(s.ours.outputKBps)} KB/s`, `tmux attach ${f(s.tmux.outputKBps)} KB/s`, ratio(s.ours.outputKBps, s.tmux.outputKBps), '-', 'info'],
    ['(2) key to frame, median', `${f(s.keys.all.median)} ms`, '-', '-', `< ${r.targets.keyMedianMs} ms`, pass(s.keys.all.median < r.targets.keyMedianMs)],
    ['(2) key to frame, max', `${f(s.keys.all.max)} ms`, '-', '-', '-', 'info'],
    ['(2) daemon CPU while streaming', `${f(s.ours.daemonCores, 3)} cores`, `no viewer ${f(s.none.daemonCores, 3)} cores`, ratio(s.ours.daemonCores, s.none.daemonCores), '-', 'info'],
    ['(2) tmux server CPU while streaming', `${f(s.ours.tmuxServerCores, 3)} cores`, `tmux attach ${f(s.tmux.tmuxServerCores, 3)} cores`, ratio(s.ours.tmuxServerCores, s.tmux.tmuxServerCores), '-', 'info'],
  ];
  lines.push(...formatColumns(rows));
  if (r.problems.length) lines.push('', 'problems seen:', ...r.problems.map((problem) => `  - ${problem}`));
  return lines.join('\n');
}

await runBench({ name: 'tui', main, report, asJson, cleanup });
