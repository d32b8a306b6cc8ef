#!/usr/bin/env node
// bench/git: the review routes on a large repository, each beside the git command it wraps, run directly in the same
// run and interleaved with it (so a busy machine slows both alike).
//   (a) GET /sessions/:id/git/status   vs `git status --porcelain` (and the exact command the route runs)
//   (b) GET /sessions/:id/git/diff     vs `git diff`
//   (c) the session's baseline snapshot (private index + add -A + write-tree + commit-tree + update-ref), for scale
// The repository: 10,000 committed files in 100 directories, with enough of them changed for a diff of about 1 MB.
// Everything lives in a temp dir with a private tmux server (-L); the daemon, the tmux server and the temp dir are
// removed at the end, on errors and on Ctrl-C too. git runs with GIT_CONFIG_GLOBAL=/dev/null, so no user config counts.
// Usage: npm run build && node bench/git.mjs [--quick] [--runs N] [--json]
//   target: each route's p50 <= 1.5x the direct git command's p50
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpOnSignals, formatColumns, now, parseRuns, percentile, requestJson, runBench, startForegroundDaemon, stopDaemonSync } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const runs = parseRuns(process.argv, quick ? 15 : 100);
const plan = { files: 10_000, dirs: 100, diffBytes: 1_000_000, warmup: quick ? 2 : 5 };
const TARGET_RATIO = 1.5;

const tmpBase = path.join(os.tmpdir(), 'cpb-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-git-'));
const socketPath = path.join(dir, 'd.sock');
const repo = path.join(dir, 'repo');
const tmuxServer = `cpb-git-${process.pid}`;
const gitEnv = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};
// The agents' homes in the temp dir too: the daemon indexes transcripts under them, never the user's own.
const env = {
  ...process.env,
  ...gitEnv,
  CODEPIPER_HOME: path.join(dir, 'home'),
  CODEPIPER_SOCKET: socketPath,
  CODEPIPER_TMUX_SOCKET: tmuxServer,
  CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
  CODEX_HOME: path.join(dir, 'codex'),
};
delete env.XDG_RUNTIME_DIR;
delete env.TMUX;
delete env.TMUX_PANE;
for (const key of Object.keys(env)) if (key.startsWith('GIT_') && !(key in gitEnv)) delete env[key];

const note = (message) => process.stderr.write(`  ${message}\n`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const api = (method, urlPath, body) => requestJson({ socketPath, agent, method, path: urlPath, body });
let daemon;
const daemonLog = [];

function git(...args) {
  const result = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Wall time of one direct git run, spawned asynchronously as the daemon spawns it; resolves with ms and output size. */
function timeGit(args) {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn('git', args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    child.stdout.on('data', (chunk) => (bytes += chunk.length));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ ms: now() - started, bytes }) : reject(new Error(`git ${args.join(' ')} exited ${code}`))));
  });
}

/** 10,000 files of a few lines each, committed; then enough of them rewritten for a diff of about 1 MB. */
function makeRepository() {
  const started = now();
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  const perDir = plan.files / plan.dirs;
  for (let d = 0; d < plan.dirs; d++) {
    const sub = path.join(repo, `dir${String(d).padStart(3, '0')}`);
    fs.mkdirSync(sub);
    for (let f = 0; f < perDir; f++) {
      const lines = Array.from({ length: 8 }, (_, i) => `dir ${d} file ${f} line ${i}: the original text of this line`);
      fs.writeFileSync(path.join(sub, `file${String(f).padStart(3, '0')}.txt`), `${lines.join('\n')}\n`);
    }
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'ten thousand files');
  // Each rewritten file adds about 8 removed and 8 added lines to the diff; rewrite until it is about 1 MB.
  let changed = 0;
  // (the size is checked every ten directories: each check is a whole git diff)
  for (let d = 0; d < plan.dirs && (d % 10 !== 0 || diffSize() < plan.diffBytes); d++) {
    for (let f = 0; f < perDir; f += 2) {
      const file = path.join(repo, `dir${String(d).padStart(3, '0')}`, `file${String(f).padStart(3, '0')}.txt`);
      const lines = Array.from({ length: 8 }, (_, i) => `dir ${d} file ${f} line ${i}: rewritten by the agent, word by word`);
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      changed++;
    }
  }
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(repo, `untracked${i}.txt`), 'new\n');
  git('status', '--porcelain'); // refresh the index's stat data once, as a user's first `git status` would
  return { ms: now() - started, changed, diffBytes: diffSize() };
}

function diffSize() {
  return Buffer.byteLength(git('diff'));
}

const stats = (values) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), min: Math.min(...values) });

/** `runs` interleaved pairs: the route, then the direct command(s); warm-up runs first, not counted. */
async function measure(routePath, commands, check) {
  const ours = [];
  const direct = commands.map(() => []);
  let answerBytes = 0;
  for (let i = 0; i < plan.warmup + runs; i++) {
    // Who goes first alternates, so neither side always finds the page cache warmed by the other.
    const times = [];
    const directFirst = i % 2 === 1;
    if (directFirst) for (const args of commands) times.push((await timeGit(args)).ms);
    const answer = await api('GET', routePath);
    check(answer.body);
    answerBytes = answer.bytes;
    if (!directFirst) for (const args of commands) times.push((await timeGit(args)).ms);
    if (i < plan.warmup) continue;
    ours.push(answer.ms);
    times.forEach((ms, k) => direct[k].push(ms));
  }
  return { ours: stats(ours), direct: direct.map(stats), answerBytes };
}

async function main() {
  note(`making a repository of ${plan.files} files under ${dir}`);
  const made = makeRepository();
  note(`made in ${(made.ms / 1000).toFixed(1)} s: ${made.changed} files changed, diff ${made.diffBytes} bytes`);
  ({ child: daemon } = await startForegroundDaemon({ bin, env, api, log: daemonLog, onSpawn: (child) => (daemon = child) }));
  const session = (await api('POST', '/sessions', { provider: 'command', cwd: repo, args: ['sleep', '3600'] })).body;
  // (c) the baseline snapshot the daemon takes as the session starts, timed from the create's answer to its ref's file
  // (a snapshot at a turn's end does the same work, seeded from the same index).
  const created = now();
  const baselineRef = path.join(repo, '.git', 'refs', 'codepiper', session.id, '0');
  while (!fs.existsSync(baselineRef)) {
    if (now() - created > 60_000) throw new Error('no baseline snapshot within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const snapshot = { ms: now() - created };
  note(`session ${session.id}; ${runs} interleaved runs each (+${plan.warmup} warm-up)`);

  const status = await measure(
    `/sessions/${session.id}/git/status`,
    [['status', '--porcelain'], ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all']],
    (body) => {
      if (body.files.length < made.changed) throw new Error(`git/status listed ${body.files.length} files, fewer than the ${made.changed} changed`);
    },
  );
  const diff = await measure(`/sessions/${session.id}/git/diff?limitBytes=8388608`, [['diff']], (body) => {
    if (body.truncated || body.totalBytes < plan.diffBytes * 0.9) throw new Error(`git/diff answered ${body.totalBytes} bytes (truncated ${body.truncated})`);
  });

  return { repository: { files: plan.files, changedFiles: made.changed, diffBytes: made.diffBytes, untracked: 20 }, runs, status, diff, snapshot, targetRatio: TARGET_RATIO };
}

function cleanup() {
  stopDaemonSync(daemon);
  spawnSync('tmux', ['-L', tmuxServer, 'kill-server'], { stdio: 'ignore' });
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

cleanUpOnSignals('git', cleanup);

function report(r) {
  const f = (ms) => ms.toFixed(1);
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const statusRatio = r.status.ours.p50 / r.status.direct[0].p50;
  const diffRatio = r.diff.ours.p50 / r.diff.direct[0].p50;
  const lines = [
    `bench/git: ${r.repository.files} files, ${r.repository.changedFiles} changed (diff ${(r.repository.diffBytes / 1e6).toFixed(2)} MB), ${r.repository.untracked} untracked; ${r.runs} interleaved runs`,
    '',
    ...formatColumns([
      ['what', 'p50 ms', 'p99 ms', 'min ms'],
      [`GET git/status (${(r.status.answerBytes / 1024).toFixed(0)} KB JSON)`, f(r.status.ours.p50), f(r.status.ours.p99), f(r.status.ours.min)],
      ['git status --porcelain', f(r.status.direct[0].p50), f(r.status.direct[0].p99), f(r.status.direct[0].min)],
      ['git status --porcelain=v2 --branch -z -uall', f(r.status.direct[1].p50), f(r.status.direct[1].p99), f(r.status.direct[1].min)],
      [`GET git/diff (${(r.diff.answerBytes / 1e6).toFixed(2)} MB JSON)`, f(r.diff.ours.p50), f(r.diff.ours.p99), f(r.diff.ours.min)],
      ['git diff', f(r.diff.direct[0].p50), f(r.diff.direct[0].p99), f(r.diff.direct[0].min)],
    ]),
    '',
    `baseline snapshot as the session started (private index, add -A, write-tree, commit-tree, update-ref): ${f(r.snapshot.ms)} ms`,
    '',
    ...formatColumns([
      ['check', 'ours p50', 'direct p50', 'ratio', 'target', 'result'],
      ['git/status vs git status --porcelain', f(r.status.ours.p50), f(r.status.direct[0].p50), ratio(r.status.ours.p50, r.status.direct[0].p50), `<= ${r.targetRatio}x`, pass(statusRatio <= r.targetRatio)],
      ['git/diff vs git diff', f(r.diff.ours.p50), f(r.diff.direct[0].p50), ratio(r.diff.ours.p50, r.diff.direct[0].p50), `<= ${r.targetRatio}x`, pass(diffRatio <= r.targetRatio)],
    ]),
  ];
  return lines.join('\n');
}

await runBench({ name: 'git', main, report, asJson, cleanup, daemonLog: () => daemonLog });
