// Shared helpers for the benchmarks: timing of whole commands and summary statistics.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

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
 * and the round trip in ms, rejects on a 4xx/5xx answer or after 30 s.
 */
export function requestJson({ socketPath, agent, method, path: urlPath, body, headers: extra = {} }) {
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
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${urlPath} got no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Starts `bin daemon start` in the foreground with `env`, collecting its output lines into `log`, and resolves with
 * the child and GET /daemon/info once GET /health answers (within 15 s; its last words if it dies first).
 */
export async function startForegroundDaemon({ bin, env, api, log }) {
  const child = spawn(process.execPath, [bin, 'daemon', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
