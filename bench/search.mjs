#!/usr/bin/env node
// bench/search: full-text search of the transcript index against grep over the raw files, in the same run.
//   Queries: each of the corpus generator's SEARCH_WORDS (each at a different frequency) and a few two-word queries
//   made of them.
//   time:    GET /search?q=<query>&limit=20 over a kept-alive connection, all queries interleaved (p50, p99)
//            vs `grep -r -F -w -c` for the word (two-word queries: `-e A -e B`, one pass finding either word) over the
//            corpus, or ripgrep when it is on PATH; median of a few runs. Like the `grep -r -F` of the target, it reads
//            every byte and finds every match (-c only spares the terminal the printing). `grep -l`, which stops
//            reading a file at its first match (a frequent word then costs it little), is timed beside it for
//            information: a harder baseline than the target's.
//   matches: for each single word, the files of all our hits (paged with limit/offset) must be the files grep lists,
//            and our `total` the manifest's count of index rows holding the word; two-word queries are only timed.
// The corpus comes from bench/corpus.mjs (seeded), in a temp dir unless --corpus names one, and is indexed once with
// POST /library/scan {wait: true}. The daemon runs in the foreground with its home, socket and a private tmux server
// (-L) in a temp dir, HOME and the XDG dirs pointing inside it; the daemon, its tmux server and the temp dir (unless
// --keep) are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/search.mjs [--size 500MB] [--seed 1] [--corpus DIR] [--runs N] [--quick] [--keep] [--json]
//   --corpus DIR  reuse the corpus in DIR (its manifest.json, if there, for the row counts); generated there if empty
//   --runs N      grep runs per query (default 5)
//   --quick       50 MB and few repetitions: checks the bench works end to end
//   targets: p50 >= 20x faster than grep -r -F (-c); the same files as grep and the manifest's row count for every word
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_WORDS } from './corpus.mjs';
import { cleanUpOnSignals, CorpusDaemon, formatColumns, listFiles, median, now, optionValue, parseRuns, parseSize, percentile, prepareCorpus, runBench, warmPageCache } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const asJson = argv.includes('--json');
const keep = argv.includes('--keep');
const corpusArg = optionValue(argv, '--corpus');
const targetBytes = parseSize(optionValue(argv, '--size', quick ? '50MB' : '500MB'));
const seed = Number(optionValue(argv, '--seed', '1'));
if (!Number.isInteger(seed)) throw new Error('--seed needs an integer');

/** Sizes of the run; --quick is a smoke run that only checks the benchmark works end to end. */
const plan = { grepRuns: parseRuns(argv, quick ? 2 : 5), requests: quick ? 30 : 200, warmup: 5, pageSize: 5_000 };
const targets = { ratio: 20 };
/** Two-word queries from words of high, middle and low frequency. */
const PAIRS = [
  ['kubernetes', 'memoize'],
  ['kubernetes', 'quasar'],
  ['tokenizer', 'flakiness'],
  ['backpressure', 'idempotent'],
  ['zeppelin', 'quasar'],
];
const QUERIES = [...SEARCH_WORDS.map((word) => [word]), ...PAIRS];

const note = (message) => process.stderr.write(`  ${message}\n`);
/** Things that looked wrong, reported after the figures. */
const problems = [];

// The socket path must stay well under the ~104-byte limit of a Unix socket address: a short dir straight under /tmp.
const dir = fs.mkdtempSync('/tmp/cps-');
let corpusDir;
let daemon;

let cleanedUp = false;
/** Synchronous, so the same code serves the normal end, an error and a signal. Only ever kills what we started. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  daemon?.stopSync();
  if (keep) {
    process.stderr.write(`search bench: kept ${dir}${corpusDir?.startsWith(dir) ? ` (reuse the corpus with --corpus ${corpusDir})` : ''}\n`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

cleanUpOnSignals('search', cleanup);

// ---- grep ----

/** ripgrep when it is on PATH, else GNU grep; both print each matching file once. */
function grepTool() {
  const rg = spawnSync('rg', ['--version'], { encoding: 'utf8' });
  if (rg.status === 0) return { name: 'rg', version: rg.stdout.split('\n')[0], argv: (mode, words, dirs) => ['rg', '-F', '-w', mode, '--no-messages', ...words.flatMap((word) => ['-e', word]), ...dirs] };
  const grep = spawnSync('grep', ['--version'], { encoding: 'utf8' });
  if (grep.status !== 0) throw new Error('neither rg nor grep runs');
  return { name: 'grep', version: grep.stdout.split('\n')[0], argv: (mode, words, dirs) => ['grep', '-r', '-F', '-w', mode, ...words.flatMap((word) => ['-e', word]), ...dirs] };
}

/** One timed run and its output lines (exit 1 means none matched, which is an answer too). */
function timeGrep(commandArgv) {
  const started = now();
  const result = spawnSync(commandArgv[0], commandArgv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = now() - started;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${commandArgv.join(' ')} exited ${result.status}: ${result.stderr.toString().trim()}`);
  return { ms, lines: result.stdout.toString().split('\n').filter(Boolean) };
}

/** -l (the baseline; the files it lists are the matches to check) and -c, each query's runs interleaved. */
function measureGrep(tool, dirs) {
  const times = { list: new Map(QUERIES.map((words) => [words.join(' '), []])), count: new Map(QUERIES.map((words) => [words.join(' '), []])) };
  const files = new Map();
  note(`${tool.name} -l and -c: ${plan.grepRuns} runs each per query, queries interleaved`);
  for (let run = 0; run < plan.grepRuns; run++) {
    for (const words of QUERIES) {
      const q = words.join(' ');
      const list = timeGrep(tool.argv('-l', words, dirs));
      times.list.get(q).push(list.ms);
      files.set(q, list.lines.map((file) => path.resolve(file)));
      times.count.get(q).push(timeGrep(tool.argv('-c', words, dirs)).ms);
    }
  }
  return { times, files };
}

// ---- ours ----

const searchPath = (q, limit, offset = 0) => `/search?q=${encodeURIComponent(q)}&limit=${limit}${offset ? `&offset=${offset}` : ''}`;

async function measureSearch() {
  const times = new Map(QUERIES.map((words) => [words.join(' '), []]));
  const totals = new Map();
  const queries = [...times.keys()];
  daemon.reconnect();
  note(`GET /search?limit=20: ${plan.requests} per query, queries interleaved`);
  for (let i = -plan.warmup; i < plan.requests; i++) {
    const shift = ((i % queries.length) + queries.length) % queries.length;
    for (const q of [...queries.slice(shift), ...queries.slice(0, shift)]) {
      const { ms, body } = await daemon.api('GET', searchPath(q, 20));
      if (i >= 0) times.get(q).push(ms);
      totals.set(q, body.total);
    }
  }
  return { times, totals };
}

/** Every hit of `word`, paged; resolves with the total and the set of files the hits are in. */
async function allHits(word) {
  const files = new Set();
  let total = 0;
  let seen = 0;
  let missingFile = 0;
  // The daemon counts matches only up to a bound (totalExact says when there are more): page until a page is short.
  for (;;) {
    const { body } = await daemon.api('GET', searchPath(word, plan.pageSize, seen));
    for (const hit of body.hits) {
      if (hit.file) files.add(path.resolve(hit.file));
      else missingFile++;
    }
    seen += body.hits.length;
    if (body.totalExact && body.total !== seen && body.hits.length < plan.pageSize) problems.push(`"${word}": total ${body.total}, but paging returned ${seen} hits`);
    if (body.hits.length < plan.pageSize) break;
  }
  total = seen;
  if (missingFile) problems.push(`"${word}": ${missingFile} hits without a file`);
  return { total, files };
}

/** Members of `a` not in `b`, relative to the corpus. */
const missingFrom = (a, b) => [...a].filter((file) => !b.has(file)).map((file) => path.relative(corpusDir, file)).sort();

async function checkMatches(grepFiles, manifest) {
  const checks = [];
  for (const word of SEARCH_WORDS) {
    const ours = await allHits(word);
    const grep = new Set(grepFiles.get(word));
    const check = {
      word,
      total: ours.total,
      expectedRows: manifest?.words[word]?.lines ?? null,
      files: ours.files.size,
      grepFiles: grep.size,
      onlyOurs: missingFrom(ours.files, grep),
      onlyGrep: missingFrom(grep, ours.files),
    };
    if (manifest) {
      const expected = new Set(manifest.words[word].files.map((file) => path.resolve(corpusDir, file)));
      check.manifestFiles = expected.size;
      check.onlyManifest = missingFrom(expected, ours.files);
      check.notInManifest = missingFrom(ours.files, expected);
    }
    check.ok = check.onlyOurs.length === 0 && check.onlyGrep.length === 0 && (check.expectedRows === null || check.total === check.expectedRows);
    checks.push(check);
  }
  return checks;
}

// ---- the run ----

const stats = (values) => ({ n: values.length, median: median(values), p90: percentile(values, 90), p99: percentile(values, 99), max: Math.max(...values) });

async function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'daemon.cjs'))) throw new Error('dist/daemon.cjs is missing; run npm run build first');
  const result = { mode: quick ? 'quick' : 'full', node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, locale: process.env.LC_ALL || process.env.LANG || 'C', plan, targets };

  const corpus = prepareCorpus({ corpusDir: corpusArg, tempDir: dir, targetBytes, seed });
  corpusDir = corpus.dir;
  const dirs = [path.join(corpusDir, 'claude'), path.join(corpusDir, 'codex')];
  const files = listFiles(dirs);
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  result.corpus = { dir: corpusDir, reused: corpus.reused, generatedMs: corpus.generatedMs, seed: corpus.manifest?.seed ?? null, files: files.length, bytes };
  note(`corpus: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${corpusDir}${corpus.reused ? ' (reused)' : ` (generated in ${(corpus.generatedMs / 1000).toFixed(1)} s)`}`);
  if (!corpus.manifest) problems.push('the corpus has no manifest.json: row counts were not checked');
  warmPageCache(files);

  // grep first, while no daemon runs beside it.
  const tool = grepTool();
  result.grep = { tool: tool.name, version: tool.version, command: tool.argv('-l', ['WORD'], ['DIR/claude', 'DIR/codex']).join(' ') };
  const grep = measureGrep(tool, dirs);

  daemon = new CorpusDaemon({ bin, dir, corpusDir, tmuxServer: `cps-${process.pid}` });
  const info = await daemon.start();
  const scan = await daemon.api('POST', '/library/scan', { wait: true }, { timeoutMs: 30 * 60_000 });
  note(`indexed in ${(scan.ms / 1000).toFixed(2)} s (daemon pid ${info.pid})`);
  result.index = { ms: scan.ms, scan: scan.body, stats: (await daemon.api('GET', '/library/stats')).body };
  if (scan.body.error) problems.push(`scan: error ${scan.body.error}`);

  const ours = await measureSearch();
  result.queries = QUERIES.map((words) => {
    const q = words.join(' ');
    const list = grep.times.list.get(q);
    const count = grep.times.count.get(q);
    return { q, words: words.length, total: ours.totals.get(q), ours: stats(ours.times.get(q)), grep: { times: list, median: median(list), files: grep.files.get(q).length }, grepCount: { times: count, median: median(count) } };
  });
  result.matches = await checkMatches(grep.files, corpus.manifest);
  for (const line of daemon.warnings()) problems.push(`daemon log: ${line}`);
  result.problems = problems;
  return result;
}

// ---- the report ----

const f = (value, digits = 1) => value.toFixed(digits);
const n = (value) => value.toLocaleString('en-US');
const times = (ratio) => `${ratio >= 100 ? f(ratio, 0) : f(ratio, 1)}x`;

function report(r) {
  const lines = [
    `search bench (${r.mode} run): Node ${r.node}, ${r.cpus} CPUs (${r.cpuModel}), locale ${r.locale}`,
    `corpus: ${n(r.corpus.files)} files, ${f(r.corpus.bytes / 1e6)} MB, ${r.corpus.reused ? `reused from ${r.corpus.dir}` : `seed ${r.corpus.seed}, generated in ${f(r.corpus.generatedMs / 1000, 2)} s`}; page cache warmed for both`,
    `index: POST /library/scan {wait: true} ${f(r.index.ms / 1000, 2)} s, ${n(r.index.stats.messages)} messages in ${n(r.index.stats.sessions)} sessions`,
    `baseline: ${r.grep.version}: ${r.grep.command.replace(' -l ', ' -c ')} (reads every byte, as grep -r -F does), ${r.plan.grepRuns} runs per query; -l (stops at the first match in each file) for information`,
    `ours: GET /search?q=<query>&limit=20 over a kept-alive connection, ${r.queries[0].ours.n} per query, queries interleaved; rows: matches counted (up to 1,000, then the daemon says "more")`,
    '',
  ];
  const tool = r.grep.tool;
  const timing = [['query', 'rows', 'ours p50', 'ours p99', 'ours max', `${tool} -c median`, 'p50 ratio', `target >= ${r.targets.ratio}x`, `${tool} -l median`, `${tool} files`, 'p50 ratio to -l']];
  for (const q of r.queries) {
    const ratio = q.grepCount.median / q.ours.median;
    timing.push([q.q, n(q.total), `${f(q.ours.median, 2)} ms`, `${f(q.ours.p99, 2)} ms`, `${f(q.ours.max, 2)} ms`, `${f(q.grepCount.median, 1)} ms`, times(ratio), ratio >= r.targets.ratio ? 'MET' : 'NOT MET', `${f(q.grep.median, 1)} ms`, n(q.grep.files), times(q.grep.median / q.ours.median)]);
  }
  lines.push(...formatColumns(timing), '');
  const matches = [['word', 'our total', 'manifest rows', 'our files', `${r.grep.tool} files`, 'manifest files', 'result']];
  for (const m of r.matches) {
    matches.push([m.word, n(m.total), m.expectedRows === null ? '-' : n(m.expectedRows), n(m.files), n(m.grepFiles), m.manifestFiles === undefined ? '-' : n(m.manifestFiles), m.ok ? 'PASS' : 'FAIL']);
  }
  lines.push('matches (single words; every hit paged through):', ...formatColumns(matches));
  for (const m of r.matches) {
    const listed = (label, list) => (list?.length ? [`  ${m.word}: ${list.length} files ${label}:`, ...list.map((file) => `    ${file}`)] : []);
    if (m.expectedRows !== null && m.total !== m.expectedRows) lines.push(`  ${m.word}: our total ${m.total}, the manifest counts ${m.expectedRows} rows (ours - manifest = ${m.total - m.expectedRows})`);
    lines.push(...listed(`only in our hits, not in ${r.grep.tool}'s`, m.onlyOurs), ...listed(`only in ${r.grep.tool}'s, not in our hits`, m.onlyGrep));
    lines.push(...listed("in the manifest, not in our hits", m.onlyManifest), ...listed('in our hits, not in the manifest', m.notInManifest));
  }
  const met = r.queries.filter((q) => q.grep.median / q.ours.median >= r.targets.ratio).length;
  const slowest = r.queries.reduce((worst, q) => (q.grep.median / q.ours.median < worst.grep.median / worst.ours.median ? q : worst));
  const metCount = r.queries.filter((q) => q.grepCount.median / q.ours.median >= r.targets.ratio).length;
  const slowestCount = r.queries.reduce((worst, q) => (q.grepCount.median / q.ours.median < worst.grepCount.median / worst.ours.median ? q : worst));
  const failed = r.matches.filter((m) => !m.ok).length;
  lines.push(
    '',
    ...formatColumns([
      ['check', 'ours', 'baseline', 'target', 'result'],
      [`p50 vs ${r.grep.tool} -r -F -c, ${r.queries.length} queries`, `met by ${metCount}/${r.queries.length}`, `lowest ratio ${times(slowestCount.grepCount.median / slowestCount.ours.median)} ("${slowestCount.q}")`, `>= ${r.targets.ratio}x`, metCount === r.queries.length ? 'MET' : 'NOT MET'],
      [`p50 vs ${r.grep.tool} -l (stops at first match)`, `met by ${met}/${r.queries.length}`, `lowest ratio ${times(slowest.grep.median / slowest.ours.median)} ("${slowest.q}")`, '-', 'info'],
      [`same files as ${r.grep.tool}, manifest rows`, `${r.matches.length - failed}/${r.matches.length} words`, `${r.grep.tool} -l, manifest`, 'all equal', failed === 0 ? 'PASS' : 'FAIL'],
    ]),
  );
  if (r.problems.length) lines.push('', 'problems seen:', ...r.problems.map((problem) => `  - ${problem}`));
  return lines.join('\n');
}

await runBench({ name: 'search', main, report, asJson, cleanup, daemonLog: () => daemon?.log });
