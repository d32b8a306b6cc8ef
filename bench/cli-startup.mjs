#!/usr/bin/env node
// bench/cli-startup: how long `codepiper daemon status --json` takes with a daemon running, against bare
// `node -e 0`, measured in the same run with the two interleaved so machine noise hits both alike.
// Usage: npm run build && node bench/cli-startup.mjs [--runs N] [--json]    (target: ratio of medians <= 1.5)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseRuns, percentile, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const runs = parseRuns(process.argv, 40);
const asJson = process.argv.includes('--json');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpb-'));
const env = { ...process.env, CODEPIPER_HOME: path.join(dir, 'home'), CODEPIPER_SOCKET: path.join(dir, 'd.sock'), CODEPIPER_TMUX_SOCKET: `cpb-${process.pid}` };
delete env.XDG_RUNTIME_DIR;

const baseline = [process.execPath, '-e', '0'];
const ours = [process.execPath, bin, 'daemon', 'status', '--json'];

try {
  const start = spawnSync(process.execPath, [bin, 'daemon', 'start', '--detach'], { env, encoding: 'utf8' });
  if (start.status !== 0) throw new Error(`could not start the daemon: ${start.stderr}`);
  const status = JSON.parse(timeCommand(ours, { env }).stdout);
  if (!status.running) throw new Error('daemon status did not report a running daemon');

  for (let i = 0; i < 5; i++) {
    timeCommand(baseline, { env });
    timeCommand(ours, { env });
  }
  const times = { baseline: [], ours: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first so neither always runs on a cache the other warmed.
    const order = i % 2 ? ['baseline', 'ours'] : ['ours', 'baseline'];
    for (const which of order) times[which].push(timeCommand(which === 'ours' ? ours : baseline, { env }).ms);
  }
  const summary = {
    runs,
    node: process.version,
    baseline: { command: 'node -e 0', medianMs: median(times.baseline), p90Ms: percentile(times.baseline, 90) },
    ours: { command: 'codepiper daemon status --json', medianMs: median(times.ours), p90Ms: percentile(times.ours, 90) },
  };
  summary.ratio = summary.ours.medianMs / summary.baseline.medianMs;
  summary.target = 1.5;
  if (asJson) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`cli-startup: ${runs} interleaved runs each, Node ${process.version}`);
    console.log(`  node -e 0                        median ${summary.baseline.medianMs.toFixed(1)} ms   p90 ${summary.baseline.p90Ms.toFixed(1)} ms`);
    console.log(`  codepiper daemon status --json   median ${summary.ours.medianMs.toFixed(1)} ms   p90 ${summary.ours.p90Ms.toFixed(1)} ms`);
    console.log(`  ratio of medians ${summary.ratio.toFixed(2)}x (target <= ${summary.target}x)`);
  }
} finally {
  spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}
