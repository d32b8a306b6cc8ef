#!/usr/bin/env node
// bench/analytics: the transcript index's token analytics against ccusage, each figure beside its baseline, one run.
//   (a) cold index: POST /library/scan {wait: true} on a fresh CODEPIPER_HOME
//                                 vs a full `ccusage daily --json --offline` run: 20.x (Claude + Codex), 20.x `claude
//                                    daily`, and the JavaScript 18.x `daily` (Claude only)
//   (b) warm queries: GET /analytics/overview?range=all and /analytics/token-usage?range=all over a kept-alive
//       connection                vs the same full ccusage runs, the target judged against the fastest of them
//                                    (GET /health shown as the floor of a round trip)
//   (c) incremental re-index: one assistant line appended to a transcript, then POST /library/scan {wait: true}
//                                 vs the same scan with nothing changed (stat every file, read none); the overview's
//                                    totals must grow by exactly the appended usage
//   (d) correctness: tokens per UTC day and per model from GET /analytics/token-usage against ccusage 20.x (all
//       agents; `claude daily` for the claude-* models; `codex daily` for the others) and against the generator's
//       manifest, to the token; ccusage 18.x's differences (it keeps the first of a response's streaming lines, so its
//       output tokens are lower); total costs side by side (price tables differ). The ccusage-style reports too:
//       GET /analytics/monthly against `monthly --json` (per month and model), /analytics/session-usage against
//       `session --json` (per session and model), /analytics/blocks against `blocks --json` (per block: start, kind,
//       tokens), to the token; their warm queries are timed in (b) against the same ccusage commands.
// The corpus comes from bench/corpus.mjs (seeded), in a temp dir unless --corpus names one. The daemon runs in the
// foreground with its home, socket and a private tmux server (-L) in a temp dir; HOME and the XDG dirs of the daemon
// and of ccusage point inside it too, so nothing of the real home is read. The daemon, its tmux server and the temp dir
// (unless --keep) are removed at the end, on errors and on Ctrl-C; a line appended to a reused corpus is cut off again.
// Usage: npm run build && node bench/analytics.mjs [--size 500MB] [--seed 1] [--corpus DIR] [--runs N] [--quick] [--keep] [--json]
//   --corpus DIR  reuse the corpus in DIR (its manifest.json, if there, for the manifest check); generated there if empty
//   --runs N      cold indexes, each on a fresh home (default 1)
//   --quick       50 MB and few repetitions: checks the bench works end to end
//   targets: (a) faster than a full ccusage run   (b) >= 50x faster than a full ccusage run   (c) median < 100 ms
//            (d) 0 differences against ccusage 20.x and the manifest
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchTools, cleanUpOnSignals, CorpusDaemon, formatColumns, listFiles, median, optionValue, parseRuns, parseSize, percentile, prepareCorpus, runBench, timeCommand, warmPageCache } from './lib.mjs';

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
const plan = {
  coldRuns: parseRuns(argv, 1),
  ccusage20Runs: quick ? 2 : 3,
  // The JavaScript build takes ~20 s a run on 500 MB.
  ccusage18Runs: quick ? 1 : 2,
  queries: quick ? 50 : 200,
  queryWarmup: 10,
  appends: quick ? 5 : 20,
  appendWarmup: 2,
};
const targets = { warmRatio: 50, incrementalMs: 100 };
/** Each ccusage-style report's route beside the ccusage command that prints the same report. */
const REPORT_BASELINES = { monthly: 'monthly20', sessionUsage: 'session20', blocks: 'blocks20' };
const FIELDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens', 'totalTokens'];
/** Our token-usage report has no provider filter; Claude's models are the claude-* ones, Codex's the others. */
const isClaudeModel = (model) => model.startsWith('claude');

const note = (message) => process.stderr.write(`  ${message}\n`);
/** Things that looked wrong, reported after the figures. */
const problems = [];

// The socket path must stay well under the ~104-byte limit of a Unix socket address: a short dir straight under /tmp.
const dir = fs.mkdtempSync('/tmp/cpa-');
let corpusDir;
let daemon;
/** The transcript (c) appends to and its size before, so the lines can be cut off again. */
let appended;

let cleanedUp = false;
/** Synchronous, so the same code serves the normal end, an error and a signal. Only ever kills what we started. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  daemon?.stopSync();
  if (appended) fs.truncateSync(appended.file, appended.size);
  if (keep) {
    process.stderr.write(`analytics bench: kept ${dir}${corpusDir?.startsWith(dir) ? ` (reuse the corpus with --corpus ${corpusDir})` : ''}\n`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

cleanUpOnSignals('analytics', cleanup);

// ---- ccusage ----

/** The ccusage commands timed and compared, each with the flags its --help accepts. */
function ccusageBuilds(userEnv) {
  const modules = benchTools(root, ['ccusage@20.0.24', 'ccusage18@npm:ccusage@18.0.11']);
  const native = path.join(modules, '@ccusage', `ccusage-${process.platform}-${process.arch}`, 'bin', 'ccusage');
  let ccusage20 = [process.execPath, path.join(modules, 'ccusage', 'src', 'cli.js')];
  if (fs.existsSync(native)) {
    // npm can unpack the binary without its execute bit.
    if ((fs.statSync(native).mode & 0o111) === 0) fs.chmodSync(native, 0o755);
    ccusage20 = [native];
  }
  const ccusage18 = [process.execPath, path.join(modules, 'ccusage18', 'dist', 'index.js')];
  const builds = {
    all20: { label: 'ccusage 20.x daily (Claude + Codex)', program: ccusage20, command: ['daily'], runs: plan.ccusage20Runs },
    claude20: { label: 'ccusage 20.x claude daily', program: ccusage20, command: ['claude', 'daily'], runs: plan.ccusage20Runs },
    codex20: { label: 'ccusage 20.x codex daily', program: ccusage20, command: ['codex', 'daily'], runs: plan.ccusage20Runs },
    claude18: { label: 'ccusage 18.x daily (Claude only)', program: ccusage18, command: ['daily'], runs: plan.ccusage18Runs },
    monthly20: { label: 'ccusage 20.x monthly', program: ccusage20, command: ['monthly'], runs: plan.ccusage20Runs },
    session20: { label: 'ccusage 20.x session', program: ccusage20, command: ['session'], runs: plan.ccusage20Runs },
    blocks20: { label: 'ccusage 20.x blocks (Claude)', program: ccusage20, command: ['blocks'], runs: plan.ccusage20Runs },
  };
  for (const build of Object.values(builds)) {
    const help = timeCommand([...build.program, ...build.command, '--help'], { env: userEnv }).stdout;
    build.argv = [...build.program, ...build.command, '--json', '--offline', ...(help.includes('--timezone') ? ['--timezone', 'UTC'] : [])];
    build.version = timeCommand([...build.program, '--version'], { env: userEnv }).stdout.trim();
  }
  return builds;
}

/** Each build's full runs, interleaved so machine noise hits all alike; keeps the last run's JSON. */
function measureCcusage(builds, userEnv) {
  const rounds = Math.max(...Object.values(builds).map((build) => build.runs));
  const times = Object.fromEntries(Object.keys(builds).map((name) => [name, []]));
  const output = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, build] of Object.entries(builds)) {
      if (round >= build.runs) continue;
      const { ms, stdout } = timeCommand(build.argv, { env: userEnv, maxBuffer: 256 << 20 });
      note(`${build.label}: ${(ms / 1000).toFixed(2)} s`);
      times[name].push(ms);
      output[name] = JSON.parse(stdout);
    }
  }
  return Object.fromEntries(
    Object.entries(builds).map(([name, build]) => [
      name,
      { label: build.label, command: build.argv.map((word) => (word.startsWith(`${root}${path.sep}`) ? path.relative(root, word) : word === process.execPath ? 'node' : word)).join(' '), version: build.version, times: times[name], median: median(times[name]), json: output[name] },
    ]),
  );
}

// ---- (a) cold index ----

/** Bytes after the last newline of a file: a line still being written. */
function partialLineBytes(file) {
  const length = Math.min(file.bytes, 1 << 20);
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(file.path, 'r');
  try {
    fs.readSync(fd, buffer, 0, length, file.bytes - length);
  } finally {
    fs.closeSync(fd);
  }
  const newline = buffer.lastIndexOf(0x0a);
  return newline < 0 ? file.bytes : length - newline - 1;
}

async function measureColdIndex(corpusFiles) {
  const runs = [];
  for (let i = 0; i < plan.coldRuns; i++) {
    if (daemon.child) {
      const previousHome = daemon.home;
      daemon.stopSync();
      fs.rmSync(previousHome, { recursive: true, force: true });
    }
    const info = await daemon.start();
    // The scan can take minutes on a slow disk; the default 30 s would cut it off.
    const response = await daemon.api('POST', '/library/scan', { wait: true }, { timeoutMs: 30 * 60_000 });
    note(`cold index ${i + 1}/${plan.coldRuns} (daemon pid ${info.pid}): ${(response.ms / 1000).toFixed(2)} s`);
    // The scan reads token counts first: from tokensFinishedAt on, every analytics route answers with full totals.
    const tokensMs = Date.parse(response.body.tokensFinishedAt) - Date.parse(response.body.startedAt);
    note(`  token pass (analytics complete) after ${(tokensMs / 1000).toFixed(2)} s`);
    runs.push({ ms: response.ms, tokensMs, scan: response.body });
  }
  const scan = runs.at(-1).scan;
  const bytes = corpusFiles.reduce((sum, file) => sum + file.bytes, 0);
  // A line still being written (no newline yet) is left for a later scan.
  const wholeLineBytes = bytes - corpusFiles.reduce((sum, file) => sum + partialLineBytes(file), 0);
  if (scan.error) problems.push(`cold scan: error ${scan.error}`);
  if (scan.filesTotal !== corpusFiles.length || scan.filesDone !== scan.filesTotal) {
    problems.push(`cold scan: filesTotal ${scan.filesTotal}, filesDone ${scan.filesDone}, but the corpus has ${corpusFiles.length} files`);
  }
  if (scan.bytesRead !== wholeLineBytes) problems.push(`cold scan: bytesRead ${scan.bytesRead}, the corpus has ${wholeLineBytes} bytes in whole lines (${bytes} in all)`);
  const times = runs.map((run) => run.ms);
  const tokenTimes = runs.map((run) => run.tokensMs);
  return { runs: runs.length, times, median: median(times), tokenTimes, tokensMedian: median(tokenTimes), files: corpusFiles.length, bytes, wholeLineBytes, scan };
}

// ---- (b) warm queries ----

async function measureWarmQueries() {
  const paths = {
    overview: '/analytics/overview?range=all',
    tokenUsage: '/analytics/token-usage?range=all&tz=UTC',
    monthly: '/analytics/monthly?tz=UTC',
    sessionUsage: '/analytics/session-usage?tz=UTC',
    blocks: '/analytics/blocks?tz=UTC',
    health: '/health',
  };
  const names = Object.keys(paths);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  daemon.reconnect();
  note(`warm queries: ${plan.queries} of each, interleaved`);
  for (let i = -plan.queryWarmup; i < plan.queries; i++) {
    const shift = ((i % names.length) + names.length) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const { ms } = await daemon.api('GET', paths[name]);
      if (i >= 0) times[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((name) => [name, { path: paths[name], ...stats(times[name]) }]));
}

// ---- (c) incremental re-index ----

/**
 * The largest main Claude transcript (not a subagent's) that ends with a whole line, and the fields of its last
 * conversation line, for the appended lines to look like the rest.
 */
function appendTarget(files) {
  const candidates = files
    .filter((file) => file.path.endsWith('.jsonl') && file.path.includes(`${path.sep}projects${path.sep}`) && !file.path.includes(`${path.sep}subagents${path.sep}`) && !path.basename(file.path).startsWith('agent-'))
    .sort((a, b) => b.bytes - a.bytes);
  for (const candidate of candidates) {
    const text = fs.readFileSync(candidate.path, 'utf8');
    if (!text.endsWith('\n')) continue;
    const lines = text.trimEnd().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      let record;
      try {
        record = JSON.parse(lines[i]);
      } catch {
        continue;
      }
      if (record.sessionId && record.cwd && record.version && record.timestamp && record.uuid) return { file: candidate.path, bytes: candidate.bytes, last: record };
    }
  }
  throw new Error('no Claude transcript in the corpus ends with a whole line');
}

const hex = (digits) => randomBytes(Math.ceil(digits / 2)).toString('hex').slice(0, digits);

/** One assistant response as current Claude Code writes it (a single text block): compact JSON, one line. */
function assistantLine(previous, index) {
  const usage = { input: 7 + index, output: 311 + index, cacheCreate: 1_203 + index, cacheRead: 45_017 + index };
  const record = {
    parentUuid: previous.uuid,
    isSidechain: false,
    userType: 'external',
    cwd: previous.cwd,
    sessionId: previous.sessionId,
    version: previous.version,
    gitBranch: previous.gitBranch,
    message: {
      id: `msg_01${hex(22)}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: `Appended reply ${index}: the index should read only these bytes and add these tokens.` }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: usage.input,
        cache_creation_input_tokens: usage.cacheCreate,
        cache_read_input_tokens: usage.cacheRead,
        cache_creation: { ephemeral_5m_input_tokens: usage.cacheCreate, ephemeral_1h_input_tokens: 0 },
        output_tokens: usage.output,
        service_tier: 'standard',
      },
    },
    requestId: `req_011${hex(21)}`,
    type: 'assistant',
    uuid: randomUUID(),
    timestamp: new Date(Date.parse(previous.timestamp) + 1_000).toISOString(),
  };
  const expected = { inputTokens: usage.input, outputTokens: usage.output, cacheCreationTokens: usage.cacheCreate, cacheReadTokens: usage.cacheRead };
  expected.totalTokens = usage.input + usage.output + usage.cacheCreate + usage.cacheRead;
  return { text: `${JSON.stringify(record)}\n`, record, expected };
}

async function measureIncremental(files) {
  const target = appendTarget(files);
  appended = { file: target.file, size: target.bytes };
  note(`incremental: ${plan.appends} appends to ${path.relative(corpusDir, target.file)} (${(target.bytes / 1e6).toFixed(1)} MB), each beside a scan with nothing changed`);
  const overview = async () => (await daemon.api('GET', '/analytics/overview?range=all')).body;
  const times = { unchanged: [], appended: [] };
  let previous = target.last;
  let mismatches = 0;
  let costAdded = 0;
  for (let i = -plan.appendWarmup; i < plan.appends; i++) {
    const unchanged = await daemon.api('POST', '/library/scan', { wait: true });
    if (unchanged.body.bytesRead !== 0) problems.push(`incremental: a scan with nothing changed read ${unchanged.body.bytesRead} bytes`);
    const before = await overview();
    const line = assistantLine(previous, i + plan.appendWarmup);
    fs.appendFileSync(target.file, line.text);
    const scan = await daemon.api('POST', '/library/scan', { wait: true });
    const after = await overview();
    previous = line.record;
    if (i >= 0) {
      times.unchanged.push(unchanged.ms);
      times.appended.push(scan.ms);
    }
    const bytes = Buffer.byteLength(line.text);
    if (scan.body.bytesRead !== bytes) problems.push(`incremental: the scan after appending ${bytes} bytes read ${scan.body.bytesRead}`);
    for (const field of FIELDS) {
      const grew = after[field] - before[field];
      if (grew !== line.expected[field]) {
        mismatches++;
        problems.push(`incremental: append ${i + plan.appendWarmup + 1}: ${field} grew by ${grew}, the line added ${line.expected[field]}`);
      }
    }
    costAdded = after.totalCost - before.totalCost;
  }
  return { file: path.relative(corpusDir, target.file), fileBytes: target.bytes, appends: plan.appends, mismatches, lastCostAdded: costAdded, unchanged: stats(times.unchanged), appended: stats(times.appended) };
}

// ---- (d) correctness ----

/** Token fields of a day or model row of any report (ours, ccusage 18/20 daily, claude, codex), cost included. */
function tokenRow(row = {}) {
  const out = { inputTokens: row.inputTokens ?? 0, outputTokens: row.outputTokens ?? 0, cacheCreationTokens: row.cacheCreationTokens ?? 0, cacheReadTokens: row.cacheReadTokens ?? 0 };
  out.totalTokens = row.totalTokens ?? out.inputTokens + out.outputTokens + out.cacheCreationTokens + out.cacheReadTokens;
  out.cost = row.totalCost ?? row.costUSD ?? row.cost ?? 0;
  return out;
}

function sumRows(rows) {
  const sum = tokenRow();
  for (const row of rows) for (const key of Object.keys(sum)) sum[key] += row[key];
  return sum;
}

/** Our token-usage answer as {date: {total, models}}; with `keep`, only those models, the day totals their sum. */
function oursByDay(body, keep) {
  const days = {};
  for (const day of body.days) {
    const models = Object.fromEntries(day.models.filter((m) => !keep || keep(m.model)).map((m) => [m.model, tokenRow(m)]));
    if (keep && !Object.keys(models).length) continue;
    days[day.date] = { total: keep ? sumRows(Object.values(models)) : tokenRow(day), models };
  }
  return days;
}

/** Any ccusage daily JSON as {date: {total, models}}: 20.x names the day `period` and Codex's models a map. */
function ccusageByDay(json, rows = json.daily) {
  const days = {};
  for (const day of rows) {
    const models = day.modelBreakdowns ? day.modelBreakdowns.map((m) => [m.modelName, m]) : Object.entries(day.models ?? {});
    days[day.date ?? day.period] = { total: tokenRow(day), models: Object.fromEntries(models.map(([name, m]) => [name, tokenRow(m)])) };
  }
  return days;
}

/** The generator's expected totals (both providers) as {date: {total, models}}. */
function manifestByDay(manifest) {
  const days = {};
  for (const part of [manifest.claude, manifest.codex]) {
    for (const [date, models] of Object.entries(part.byDayModel)) {
      const day = (days[date] ??= { models: {} });
      for (const [model, row] of Object.entries(models)) day.models[model] = tokenRow(row);
    }
  }
  for (const day of Object.values(days)) day.total = sumRows(Object.values(day.models));
  return days;
}

/** Every token that differs: one row per day (model null) or day and model, and field. */
function differences(ours, theirs) {
  const rows = [];
  const union = (a, b) => [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  for (const date of union(ours, theirs)) {
    const compare = (model, a, b) => {
      for (const field of FIELDS) if ((a?.[field] ?? 0) !== (b?.[field] ?? 0)) rows.push({ date, model, field, ours: a?.[field] ?? 0, theirs: b?.[field] ?? 0 });
    };
    compare(null, ours[date]?.total, theirs[date]?.total);
    for (const model of union(ours[date]?.models, theirs[date]?.models)) compare(model, ours[date]?.models[model], theirs[date]?.models[model]);
  }
  return rows;
}

/** Per field, the sums over all days on both sides and the days that differ. */
function fieldTotals(ours, theirs) {
  const dates = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])];
  return Object.fromEntries(
    FIELDS.map((field) => {
      const a = dates.map((date) => ours[date]?.total[field] ?? 0);
      const b = dates.map((date) => theirs[date]?.total[field] ?? 0);
      return [field, { ours: a.reduce((s, v) => s + v, 0), theirs: b.reduce((s, v) => s + v, 0), daysDiffering: a.filter((v, i) => v !== b[i]).length, days: dates.length }];
    }),
  );
}

/** Costs summed per model over all days. */
function costByModel(days) {
  const costs = {};
  for (const day of Object.values(days)) for (const [model, row] of Object.entries(day.models)) costs[model] = (costs[model] ?? 0) + row.cost;
  return costs;
}

/** Our monthly or session-usage rows as {key: {total, models}}. */
function oursByKey(rows, key) {
  const out = {};
  for (const row of rows) {
    const models = Array.isArray(row.models) && typeof row.models[0] === 'object' ? Object.fromEntries(row.models.map((m) => [m.model, tokenRow(m)])) : {};
    out[row[key]] = { total: tokenRow(row), models };
  }
  return out;
}

/** Blocks of either side as {"block <start>" | "gap <start>": {total}}: a block on one side only is a difference. */
function blocksByStart(blocks) {
  const out = {};
  for (const b of blocks) {
    const counts = b.tokenCounts
      ? { inputTokens: b.tokenCounts.inputTokens, outputTokens: b.tokenCounts.outputTokens, cacheCreationTokens: b.tokenCounts.cacheCreationInputTokens, cacheReadTokens: b.tokenCounts.cacheReadInputTokens, totalTokens: b.totalTokens, costUSD: b.costUSD }
      : b;
    out[`${b.isGap ? 'gap' : 'block'} ${b.startTime}`] = { total: tokenRow(counts), models: {}, entries: b.entries, actualEndTime: b.actualEndTime, endTime: b.endTime };
  }
  return out;
}

/** Sessions compared by their totals: our rows name their models without a per-model breakdown. */
const totalsOnly = (rows) => Object.fromEntries(Object.entries(rows).map(([key, row]) => [key, { total: row.total, models: {} }]));

/** The ccusage-style reports against ccusage 20.x on the same files. */
async function measureReports(ccusage) {
  // The first answers after the scan: session usage and blocks are computed here, later ones are kept until a change.
  const first = {};
  const get = async (name, urlPath) => {
    const response = await daemon.api('GET', urlPath);
    first[name] = response.ms;
    return response.body;
  };
  const monthly = await get('monthly', '/analytics/monthly?tz=UTC');
  const sessions = await get('sessionUsage', '/analytics/session-usage?tz=UTC');
  const blocks = await get('blocks', '/analytics/blocks?tz=UTC');
  const theirBlocks = blocksByStart(ccusage.blocks20.json.blocks);
  const ourBlocks = blocksByStart(blocks.blocks);
  const shared = Object.keys(ourBlocks).filter((key) => theirBlocks[key]);
  const sumCost = (rows) => rows.reduce((sum, row) => sum + (row.totalCost ?? row.costUSD ?? 0), 0);
  return {
    first,
    counts: { months: monthly.months.length, sessions: sessions.sessions.length, blocks: blocks.blocks.filter((b) => !b.isGap).length, gaps: blocks.blocks.filter((b) => b.isGap).length },
    checks: [
      { name: 'monthly vs ccusage 20.x monthly (per month and model)', differences: differences(oursByKey(monthly.months, 'month'), ccusageByDay(null, ccusage.monthly20.json.monthly)) },
      { name: 'session-usage vs ccusage 20.x session (per session)', differences: differences(totalsOnly(oursByKey(sessions.sessions, 'sessionId')), totalsOnly(ccusageByDay(null, ccusage.session20.json.session))) },
      { name: 'blocks vs ccusage 20.x blocks (per block: start, kind, tokens)', differences: differences(ourBlocks, theirBlocks) },
    ],
    // Not checked: ccusage counts API-error lines of the "<synthetic>" model with no tokens, which the index leaves out.
    blockInfo: {
      entriesDiffer: shared.filter((key) => ourBlocks[key].entries !== theirBlocks[key].entries).length,
      lastRequestDiffers: shared.filter((key) => ourBlocks[key].actualEndTime !== theirBlocks[key].actualEndTime).length,
      gapEndDiffers: shared.filter((key) => key.startsWith('gap') && ourBlocks[key].endTime !== theirBlocks[key].endTime).length,
      shared: shared.length,
    },
    costs: {
      monthly: { ours: monthly.totals.totalCost, ccusage20: ccusage.monthly20.json.totals.totalCost },
      session: { ours: sessions.totals.totalCost, ccusage20: ccusage.session20.json.totals.totalCost },
      blocks: { ours: blocks.totals.totalCost, ccusage20: sumCost(ccusage.blocks20.json.blocks) },
    },
  };
}

async function measureCorrectness(ccusage, manifest) {
  const body = (await daemon.api('GET', '/analytics/token-usage?range=all&tz=UTC')).body;
  const overview = (await daemon.api('GET', '/analytics/overview?range=all&tz=UTC')).body;
  const ours = { all: oursByDay(body), claude: oursByDay(body, isClaudeModel), codex: oursByDay(body, (model) => !isClaudeModel(model)) };
  const theirs = { all20: ccusageByDay(ccusage.all20.json), claude20: ccusageByDay(ccusage.claude20.json), codex20: ccusageByDay(ccusage.codex20.json), claude18: ccusageByDay(ccusage.claude18.json) };
  const checks = [
    { name: 'all models vs ccusage 20.x daily (all agents)', differences: differences(ours.all, theirs.all20) },
    { name: 'claude-* models vs ccusage 20.x claude daily', differences: differences(ours.claude, theirs.claude20) },
    { name: 'other models vs ccusage 20.x codex daily', differences: differences(ours.codex, theirs.codex20) },
  ];
  if (manifest) checks.push({ name: "all models vs the generator's manifest", differences: differences(ours.all, manifestByDay(manifest)) });
  else problems.push('the corpus has no manifest.json: the manifest check was skipped');
  const sumCost = (days) => Object.values(days).reduce((sum, day) => sum + day.total.cost, 0);
  return {
    days: body.days.length,
    models: [...new Set(body.days.flatMap((day) => day.models.map((m) => m.model)))].sort(),
    checks,
    ccusage18: fieldTotals(ours.claude, theirs.claude18),
    costs: {
      all: { ours: body.totals.totalCost, ccusage20: ccusage.all20.json.totals.totalCost },
      claude: { ours: sumCost(ours.claude), ccusage20: ccusage.claude20.json.totals.totalCost, ccusage18: ccusage.claude18.json.totals.totalCost },
      codex: { ours: sumCost(ours.codex), ccusage20: ccusage.codex20.json.totals.costUSD ?? ccusage.codex20.json.totals.totalCost },
      byModel: { ours: costByModel(ours.all), ccusage20: costByModel(theirs.all20) },
    },
    unpricedModels: { ours: overview.unpricedModels, ccusage20: ccusage.all20.json.totals.unpricedModels ?? [] },
  };
}

// ---- the run ----

const stats = (values) => ({ n: values.length, median: median(values), p90: percentile(values, 90), p99: percentile(values, 99), max: Math.max(...values) });

async function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'daemon.cjs'))) throw new Error('dist/daemon.cjs is missing; run npm run build first');
  const result = { mode: quick ? 'quick' : 'full', node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, plan, targets };

  const corpus = prepareCorpus({ corpusDir: corpusArg, tempDir: dir, targetBytes, seed });
  corpusDir = corpus.dir;
  const files = listFiles([path.join(corpusDir, 'claude'), path.join(corpusDir, 'codex')]);
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  result.corpus = { dir: corpusDir, reused: corpus.reused, generatedMs: corpus.generatedMs, seed: corpus.manifest?.seed ?? null, files: files.length, bytes };
  note(`corpus: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${corpusDir}${corpus.reused ? ' (reused)' : ` (generated in ${(corpus.generatedMs / 1000).toFixed(1)} s)`}`);
  warmPageCache(files);

  daemon = new CorpusDaemon({ bin, dir, corpusDir, tmuxServer: `cpa-${process.pid}` });
  // ccusage first, while no daemon runs beside it.
  const builds = ccusageBuilds(daemon.userEnv);
  const ccusage = measureCcusage(builds, daemon.userEnv);
  result.ccusage = Object.fromEntries(Object.entries(ccusage).map(([name, run]) => [name, { label: run.label, command: run.command, version: run.version, times: run.times, median: run.median }]));

  result.cold = await measureColdIndex(files);
  // Before (c) appends anything.
  result.correctness = await measureCorrectness(ccusage, corpus.manifest);
  result.reports = await measureReports(ccusage);
  result.warm = await measureWarmQueries();
  result.incremental = await measureIncremental(files);
  for (const line of daemon.warnings()) problems.push(`daemon log: ${line}`);
  result.problems = problems;
  return result;
}

// ---- the report ----

const f = (value, digits = 1) => value.toFixed(digits);
const n = (value) => value.toLocaleString('en-US');
const seconds = (ms) => `${f(ms / 1000, 2)} s`;
const times = (ratio) => `${ratio >= 100 ? f(ratio, 0) : f(ratio, 1)}x`;
const pass = (ok) => (ok ? 'MET' : 'NOT MET');

function report(r) {
  const c = r.cold;
  const w = r.warm;
  const inc = r.incremental;
  const d = r.correctness;
  const builds = ['all20', 'claude20', 'claude18'];
  const fastest = builds.reduce((best, name) => (r.ccusage[name].median < r.ccusage[best].median ? name : best));
  const lines = [
    `analytics bench (${r.mode} run): Node ${r.node}, ${r.cpus} CPUs (${r.cpuModel})`,
    `corpus: ${n(r.corpus.files)} files, ${f(r.corpus.bytes / 1e6)} MB, ${r.corpus.reused ? `reused from ${r.corpus.dir}` : `seed ${r.corpus.seed}, generated in ${seconds(r.corpus.generatedMs)}`}; page cache warmed for every tool`,
    `ccusage full runs (median of the runs listed):`,
    ...Object.values(r.ccusage).map((run) => `    ${run.label.padEnd(38)} ${seconds(run.median).padStart(9)}   runs ${run.times.map(seconds).join(', ')}   (${run.version}: ${run.command})`),
    `(a) cold index: POST /library/scan {wait: true} on a fresh home, ${c.runs} run${c.runs > 1 ? 's' : ''}`,
    `    ours, whole index (search too)         ${seconds(c.median).padStart(9)}   runs ${c.times.map(seconds).join(', ')}`,
    `    ours, token pass (analytics complete)  ${seconds(c.tokensMedian).padStart(9)}   runs ${c.tokenTimes.map(seconds).join(', ')}`,
    `    scan: ${n(c.scan.filesDone)}/${n(c.scan.filesTotal)} files, ${f(c.scan.bytesRead / 1e6)} MB read, skipped ${JSON.stringify(c.scan.skipped)}`,
    ...builds.map((name) => `    whole index vs ${r.ccusage[name].label.padEnd(35)} ${times(r.ccusage[name].median / c.median)} faster (${seconds(r.ccusage[name].median)} / ${seconds(c.median)})`),
    ...builds.map((name) => `    token pass  vs ${r.ccusage[name].label.padEnd(35)} ${times(r.ccusage[name].median / c.tokensMedian)} faster (${seconds(r.ccusage[name].median)} / ${seconds(c.tokensMedian)})`),
    `(b) warm queries over a kept-alive connection, ${w.overview.n} each, interleaved`,
    ...['overview', 'tokenUsage', ...Object.keys(REPORT_BASELINES), 'health'].map((name) => `    GET ${w[name].path.padEnd(38)} p50 ${f(w[name].median, 2)} ms   p99 ${f(w[name].p99, 2)} ms   max ${f(w[name].max, 2)} ms`),
    ...['overview', 'tokenUsage'].flatMap((name) => builds.map((build) => `    ${name.padEnd(10)} vs ${r.ccusage[build].label.padEnd(35)} p50 ${times(r.ccusage[build].median / w[name].median)} faster   p99 ${times(r.ccusage[build].median / w[name].p99)}`)),
    ...Object.entries(REPORT_BASELINES).map(([name, build]) => `    ${name.padEnd(12)} vs ${r.ccusage[build].label.padEnd(33)} p50 ${times(r.ccusage[build].median / w[name].median)} faster   p99 ${times(r.ccusage[build].median / w[name].p99)}`),
    `    (session usage and blocks are kept until the index changes; their first answer after the scan, computed: ${Object.entries(REPORT_BASELINES)
      .map(([name, build]) => `${name} ${f(r.reports.first[name], 1)} ms = ${times(r.ccusage[build].median / r.reports.first[name])} faster`)
      .join(', ')})`,
    `(c) incremental: ${inc.appends} appends of one assistant line to ${inc.file} (${f(inc.fileBytes / 1e6, 1)} MB)`,
    `    scan after an append                   median ${f(inc.appended.median, 2)} ms   p90 ${f(inc.appended.p90, 2)} ms   max ${f(inc.appended.max, 2)} ms`,
    `    scan with nothing changed              median ${f(inc.unchanged.median, 2)} ms   p90 ${f(inc.unchanged.p90, 2)} ms   max ${f(inc.unchanged.max, 2)} ms`,
    `    overview totals grew by exactly the appended usage: ${inc.mismatches === 0 ? 'yes, every time' : `NO, ${inc.mismatches} field mismatches (see problems)`}; cost added per line ${f(inc.lastCostAdded, 6)} USD`,
    `(d) correctness: ${d.days} days, models ${d.models.join(', ')}`,
  ];
  for (const check of d.checks) {
    lines.push(`    ${check.name}: ${check.differences.length === 0 ? '0 differences' : `${check.differences.length} differences`}`);
    if (check.differences.length) {
      lines.push(...formatColumns([['date', 'model', 'field', 'ours', 'theirs', 'ours - theirs'], ...check.differences.map((x) => [x.date, x.model ?? '(day total)', x.field, n(x.ours), n(x.theirs), n(x.ours - x.theirs)])]).map((line) => `      ${line}`));
    }
  }
  lines.push(`    claude-* models vs ccusage 18.x daily (expected: its output tokens lower):`);
  for (const [field, t] of Object.entries(d.ccusage18)) {
    const diff = t.ours - t.theirs;
    lines.push(`      ${field.padEnd(20)} ours ${n(t.ours).padStart(15)}   18.x ${n(t.theirs).padStart(15)}   ${diff === 0 ? 'same' : `ours - 18.x = ${n(diff)} (${f((100 * diff) / (t.ours || 1), 1)}% of ours)`}, ${t.daysDiffering}/${t.days} days differ`);
  }
  const rep = r.reports;
  lines.push(`    ccusage-style reports: ${rep.counts.months} months, ${rep.counts.sessions} sessions, ${rep.counts.blocks} blocks and ${rep.counts.gaps} gaps`);
  for (const check of rep.checks) {
    lines.push(`    ${check.name}: ${check.differences.length === 0 ? '0 differences' : `${check.differences.length} differences`}`);
    if (check.differences.length) {
      lines.push(...formatColumns([['period', 'model', 'field', 'ours', 'theirs', 'ours - theirs'], ...check.differences.slice(0, 40).map((x) => [x.date, x.model ?? '(total)', x.field, n(x.ours), n(x.theirs), n(x.ours - x.theirs)])]).map((line) => `      ${line}`));
    }
  }
  lines.push(
    `    blocks, not checked (ccusage also counts API-error lines without tokens, which the index leaves out): of ${rep.blockInfo.shared} blocks and gaps on both sides,`,
    `      ${rep.blockInfo.entriesDiffer} differ in requests counted, ${rep.blockInfo.lastRequestDiffers} in the time of the last request, ${rep.blockInfo.gapEndDiffers} gaps in their end`,
  );
  const usd = (value) => (value === undefined ? '-' : `$${f(value, 2)}`);
  lines.push(
    `    cost (price tables differ; printed, not checked):`,
    `      all models        ours ${usd(d.costs.all.ours)}   ccusage 20.x ${usd(d.costs.all.ccusage20)}`,
    `      claude-* models   ours ${usd(d.costs.claude.ours)}   ccusage 20.x ${usd(d.costs.claude.ccusage20)}   ccusage 18.x ${usd(d.costs.claude.ccusage18)}`,
    `      other models      ours ${usd(d.costs.codex.ours)}   ccusage 20.x ${usd(d.costs.codex.ccusage20)}`,
    ...Object.keys({ ...d.costs.byModel.ours, ...d.costs.byModel.ccusage20 })
      .sort()
      .map((model) => `      ${model.padEnd(28)} ours ${usd(d.costs.byModel.ours[model]).padStart(10)}   ccusage 20.x ${usd(d.costs.byModel.ccusage20[model]).padStart(10)}`),
    ...Object.entries(rep.costs).map(([name, c]) => `      ${(name + ' total').padEnd(17)} ours ${usd(c.ours)}   ccusage 20.x ${usd(c.ccusage20)}`),
    `    unpriced models: ours ${JSON.stringify(d.unpricedModels.ours)}, ccusage 20.x ${JSON.stringify(d.unpricedModels.ccusage20)}`,
    '',
  );

  const coldRow = (name) => {
    const run = r.ccusage[name];
    return [`(a) cold index vs ${run.label}`, `median ${seconds(c.median)}`, `${seconds(run.median)} (${times(run.median / c.median)} faster)`, 'faster than ccusage', pass(c.median < run.median)];
  };
  const tokenRow = (name) => {
    const run = r.ccusage[name];
    return [`(a) token pass vs ${run.label}`, `median ${seconds(c.tokensMedian)}`, `${seconds(run.median)} (${times(run.median / c.tokensMedian)} faster)`, 'faster than ccusage', pass(c.tokensMedian < run.median)];
  };
  const warmRow = (name, label) => {
    const run = r.ccusage[fastest];
    return [`(b) ${label} vs ${run.label}`, `p50 ${f(w[name].median, 2)} / p99 ${f(w[name].p99, 2)} ms`, `${seconds(run.median)} (p50 ${times(run.median / w[name].median)} faster)`, `>= ${r.targets.warmRatio}x`, pass(run.median / w[name].median >= r.targets.warmRatio)];
  };
  const correctnessRow = (check) => [`(d) ${check.name}`, `${check.differences.length} differences`, 'to the token', '0 differences', check.differences.length === 0 ? 'PASS' : 'FAIL'];
  const rows = [
    ['check', 'ours', 'baseline', 'target', 'result'],
    ...builds.map(coldRow),
    ...builds.map(tokenRow),
    warmRow('overview', 'GET /analytics/overview'),
    warmRow('tokenUsage', 'GET /analytics/token-usage'),
    ...Object.entries(REPORT_BASELINES).map(([name, build]) => {
      const run = r.ccusage[build];
      return [`(b) GET ${w[name].path.split('?')[0]} vs ${run.label}`, `p50 ${f(w[name].median, 2)} / p99 ${f(w[name].p99, 2)} ms`, `${seconds(run.median)} (p50 ${times(run.median / w[name].median)} faster)`, `>= ${r.targets.warmRatio}x`, pass(run.median / w[name].median >= r.targets.warmRatio)];
    }),
    ['(b) GET /health (floor)', `p50 ${f(w.health.median, 2)} / p99 ${f(w.health.p99, 2)} ms`, '-', '-', 'info'],
    ['(c) scan after a one-line append', `median ${f(inc.appended.median, 1)} ms`, `nothing changed ${f(inc.unchanged.median, 1)} ms`, `< ${r.targets.incrementalMs} ms`, pass(inc.appended.median < r.targets.incrementalMs && inc.mismatches === 0)],
    ...d.checks.map(correctnessRow),
    ...r.reports.checks.map(correctnessRow),
    ['(d) claude-* models vs ccusage 18.x', `output ${n(d.ccusage18.outputTokens.ours)}`, `18.x ${n(d.ccusage18.outputTokens.theirs)}`, '-', 'info'],
  ];
  lines.push(...formatColumns(rows));
  if (r.problems.length) lines.push('', 'problems seen:', ...r.problems.map((problem) => `  - ${problem}`));
  return lines.join('\n');
}

await runBench({ name: 'analytics', main, report, asJson, cleanup, daemonLog: () => daemon?.log });
