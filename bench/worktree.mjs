#!/usr/bin/env node
// bench/worktree: what a session in its own git worktree costs, beside `git worktree add` alone, in the same run.
//   (a) POST /sessions with worktree: true (checks every git problem, makes the worktree and its branch, starts the
//       agent in tmux, records the row)                  vs `git worktree add -b <branch> <path> HEAD`, spawned per call
// A session without a worktree is timed too (not part of the ratio): the daemon's own share, for the breakdown.
// The two alternate, run by run, on the same repository (a generated one of --files files, committed), so that the
// page cache and the disk treat both alike. Removing the worktrees between runs is not timed.
// Everything lives in a temp dir with a private tmux server (-L); git's global and system config are ignored; the
// daemon, its tmux server and the temp dir are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/worktree.mjs [--quick] [--runs N] [--files N] [--json]
//   target: median ratio <= 1.3x
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpOnSignals, formatColumns, median, optionValue, parseRuns, percentile, requestJson, runBench, startForegroundDaemon, stopDaemonSync, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const runs = parseRuns(process.argv, quick ? 5 : 30);
const files = Number(optionValue(process.argv, '--files', quick ? '500' : '3000'));
const warmup = quick ? 1 : 3;
const TARGET_RATIO = 1.3;

const tmpBase = path.join(os.tmpdir(), 'cpb-XXXXXX', 'd.sock').length < 100 ? os.tmpdir() : '/tmp';
const dir = fs.mkdtempSync(path.join(tmpBase, 'cpb-'));
const socketPath = path.join(dir, 'd.sock');
const tmuxServer = `cpb-wt-${process.pid}`;
const gitEnv = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};
const env = { ...process.env, ...gitEnv, CODEPIPER_HOME: path.join(dir, 'home'), CODEPIPER_SOCKET: socketPath, CODEPIPER_TMUX_SOCKET: tmuxServer };
delete env.XDG_RUNTIME_DIR;
delete env.TMUX;
delete env.TMUX_PANE;

const note = (message) => process.stderr.write(`  ${message}\n`);
// No keep-alive: the untimed clean-up between runs can outlast the daemon's keep-alive timeout, and a request on a
// connection the daemon just closed fails. A connection over a Unix socket costs a fraction of a millisecond.
const agent = new http.Agent({ keepAlive: false, maxSockets: 1 });
const daemonLog = [];
let daemon;
let cleanedUp = false;

function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  agent.destroy();
  stopDaemonSync(daemon);
  spawnSync('tmux', ['-L', tmuxServer, 'kill-server'], { env, stdio: 'ignore' });
  const socketDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`);
  fs.rmSync(path.join(socketDir, tmuxServer), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}
cleanUpOnSignals('worktree', cleanup);

function api(method, urlPath, body) {
  return requestJson({ socketPath, agent, method, path: urlPath, body });
}

const git = (cwd, ...args) => timeCommand(['git', '-C', cwd, ...args], { env });

/** A repository of `files` files in 50 directories, one commit. */
function makeRepo() {
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  for (let i = 0; i < files; i++) {
    const sub = path.join(repo, `dir${i % 50}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `file${i}.ts`), `export const value${i} = ${i};\n`.repeat(20));
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'bench');
  return fs.realpathSync(repo);
}

async function main() {
  note(`making a repository of ${files} files`);
  const repo = makeRepo();
  const started = await startForegroundDaemon({ bin, env, api, log: daemonLog, onSpawn: (child) => (daemon = child) });
  daemon = started.child;
  const raw = path.join(dir, 'raw');
  fs.mkdirSync(raw);
  const samples = { session: [], git: [], plain: [] };
  note(`${runs} runs of each (+${warmup} warm-up), alternating which goes first`);
  for (let i = 0; i < warmup + runs; i++) {
    const name = `s${i}`;
    const timed = {};
    const withWorktree = async () => {
      timed.session = await api('POST', '/sessions', { provider: 'command', cwd: repo, args: ['sleep', '3600'], name, worktree: true });
    };
    const direct = () => {
      timed.git = git(repo, 'worktree', 'add', '-q', '-b', `raw/${i}`, path.join(raw, String(i)), 'HEAD');
    };
    // Each goes first every other run: the one right after the previous run's clean-up (thousands of files deleted)
    // would otherwise always pay for its disk writes.
    if (i % 2 === 0) {
      await withWorktree();
      direct();
    } else {
      direct();
      await withWorktree();
    }
    // The same session without a worktree: what the daemon's own part costs (tmux, the row), for the breakdown.
    timed.plain = await api('POST', '/sessions', { provider: 'command', cwd: repo, args: ['sleep', '3600'], name: `p${i}` });
    if (i >= warmup) {
      samples.session.push(timed.session.ms);
      samples.git.push(timed.git.ms);
      samples.plain.push(timed.plain.ms);
    }
    // Not timed: the sessions end, and both worktrees and branches go, so every run starts from the same repository.
    await api('POST', `/sessions/${timed.session.body.id}/kill`);
    await api('POST', `/sessions/${timed.plain.body.id}/kill`);
    await api('DELETE', `/worktrees/${timed.session.body.id}?force=1`);
    git(repo, 'worktree', 'remove', '--force', path.join(raw, String(i)));
    git(repo, 'branch', '-D', `raw/${i}`);
  }
  const figures = (values) => ({ median: median(values), p90: percentile(values, 90), min: Math.min(...values) });
  const session = figures(samples.session);
  const direct = figures(samples.git);
  return { files, runs, session, git: direct, plain: figures(samples.plain), ratio: session.median / direct.median, target: TARGET_RATIO };
}

function report(result) {
  const ms = (value) => `${value.toFixed(1)} ms`;
  const rows = [
    ['', 'median', 'p90', 'min'],
    ['POST /sessions, worktree: true', ms(result.session.median), ms(result.session.p90), ms(result.session.min)],
    ['git worktree add -b (alone)', ms(result.git.median), ms(result.git.p90), ms(result.git.min)],
    ['(POST /sessions, no worktree)', ms(result.plain.median), ms(result.plain.p90), ms(result.plain.min)],
  ];
  const verdict = result.ratio <= result.target ? 'within' : 'OVER';
  return [
    `bench/worktree: a repository of ${result.files} files, ${result.runs} runs each`,
    ...formatColumns(rows),
    `ratio (medians): ${result.ratio.toFixed(2)}x  (target <= ${result.target}x: ${verdict})`,
  ].join('\n');
}

await runBench({ name: 'worktree', main, report, asJson, cleanup, daemonLog: () => daemonLog });
