#!/usr/bin/env node
// bench/hooks: what a Claude Code permission hook costs, each figure beside a baseline measured in the same run.
//   (1) one hook call as Claude Code makes it: a process reading the PreToolUse JSON on stdin and printing the decision
//       `node bin/codepiper hook-forward`, and `node dist/hook.cjs` (what the settings overlay runs)
//                                                             vs `node -e 0`, the three interleaved
//   (2) the decision inside the daemon with 1,000 rules, the deciding rule last or no rule matching (the worst cases)
//       decide() on a session's ordered rules                 vs decide([]) on no rules, interleaved
//       PolicyService.decide on a SQLite database (reads the policies, decides, writes the audit row)
//                                                             vs a bare INSERT into a table of the same database, interleaved
//   (3) POST /hooks/claude over the socket (keep-alive), with 1 rule and with 1,000
//                                                             vs GET /health, interleaved
// (2) runs in this process on the policy code bundled on the fly from src/ with esbuild (into .bench-tmp/, which git
// ignores). (1) and (3) use a daemon started in the foreground, with its home, socket and a private tmux server (-L)
// in a temp dir; the default tmux server and ~/.codepiper are never touched, and the daemon, its tmux server, the temp
// dir and the bundle are removed at the end, on errors and on Ctrl-C too.
// Usage: npm run build && node bench/hooks.mjs [--quick] [--runs N] [--json]
//   targets: (1) ratio of medians <= 1.3x   (2) p99 < 1 ms   (3) none (reported for information)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanUpOnSignals, formatColumns, median, now, parseRuns, percentile, requestJson, runBench, running, sleepSync, startForegroundDaemon, stopDaemonSync, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codepiper');
const hookBundle = path.join(root, 'dist', 'hook.cjs');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');

/** Sizes of the run; --quick is a smoke run that only checks the benchmark works end to end. */
const plan = {
  forwardRuns: parseRuns(process.argv, quick ? 10 : 40),
  rules: 1_000,
  decisions: quick ? 2_000 : 10_000,
  decisionWarmup: quick ? 200 : 1_000,
  requests: quick ? 100 : 1_000,
  warmup: quick ? 3 : 5,
};
const targets = { forwardRatio: 1.3, decisionP99Ms: 1 };

/** The request every part asks about, and the answer the bench policy must give it. */
const HOOK_PAYLOAD = {
  session_id: 'bench-agent-session',
  transcript_path: '/tmp/x.jsonl',
  cwd: '/tmp',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'rm -rf build' },
  tool_use_id: 'toolu_1',
};
const HOOK_INPUT = JSON.stringify(HOOK_PAYLOAD);
const REQUEST = { tool: 'Bash', args: { command: 'rm -rf build' }, cwd: '/tmp' };
const DENY_RULE = { action: 'deny', tool: 'Bash', args: { command: '*rm -rf*' }, reason: 'bench' };
/** Looks like the deny rule but misses the request ("rm -rf build" has no "/"), so no rule matches at all. */
const NEAR_MISS_RULE = { action: 'deny', tool: 'Bash', args: { command: '*rm -rf /*' }, reason: 'bench near miss' };
const BENCH_POLICY = { name: 'bench', priority: 1, rules: [DENY_RULE] };
const EXPECTED_OUTPUT = { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'bench' } };

// The socket path must stay well under the ~104-byte limit of a Unix socket address: a short dir straight under /tmp.
const dir = fs.mkdtempSync('/tmp/cph-');
const socketPath = path.join(dir, 'd.sock');
const tmuxServer = `cph-${process.pid}`;
const env = { ...process.env, CODEPIPER_HOME: path.join(dir, 'home'), CODEPIPER_SOCKET: socketPath, CODEPIPER_TMUX_SOCKET: tmuxServer };
delete env.XDG_RUNTIME_DIR;
// Run from inside tmux, these would point tmux commands at the user's own server and session.
delete env.TMUX;
delete env.TMUX_PANE;
// Git ignores .bench-tmp/; the bundle has to live inside the repository so that `better-sqlite3` resolves.
const bundleDir = path.join(root, '.bench-tmp', `hooks-${process.pid}`);

const note = (message) => process.stderr.write(`  ${message}\n`);
/** Things that looked wrong, reported after the figures. */
const problems = [];

// ---- clean-up: the daemon, its tmux server, the temp dir, the bundle ----

let daemon;
let tmuxServerPid;
let serviceDb;
const daemonLog = [];
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 1 });
let agent = newAgent();



let cleanedUp = false;
/** Synchronous, so the same code serves the normal end, an error and a signal. Only ever kills what we started. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  agent.destroy();
  try {
    serviceDb?.close();
  } catch {
    // already closed
  }
  // The daemon's clean shutdown removes its socket and discovery file; its tmux server is ours to kill.
  stopDaemonSync(daemon);
  spawnSync('tmux', ['-L', tmuxServer, 'kill-server'], { env, stdio: 'ignore' });
  // kill-server returns before the server process is gone.
  for (let waited = 0; tmuxServerPid && running(tmuxServerPid) && waited < 2_000; waited += 50) sleepSync(50);
  // A killed server can leave its socket file behind in tmux's socket directory.
  fs.rmSync(path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`, tmuxServer), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(bundleDir)); // only if no other run is using it
  } catch {
    // not empty, or already gone
  }
}

cleanUpOnSignals('hooks', cleanup);

// ---- the daemon's API ----

/** One JSON request over the socket (keep-alive); resolves with the parsed body and the round trip in ms. */
function api(method, urlPath, body, headers = {}) {
  return requestJson({ socketPath, agent, method, path: urlPath, body, headers });
}

async function startDaemon() {
  const started = await startForegroundDaemon({ bin, env, api, log: daemonLog });
  daemon = started.child;
  return started.info;
}



// ---- rules ----

/**
 * `count` rules none of which matches REQUEST, of every kind the engine handles: tool globs that miss, tool globs that
 * hit with argument globs (lists, negations, brace sets) that miss, and cwd path globs (with negations) that miss.
 */
function fillerRules(count) {
  const rules = [];
  for (let i = 0; i < count; i++) {
    const action = ['allow', 'ask', 'deny'][i % 3];
    switch (i % 8) {
      case 0:
        rules.push({ action, tool: `mcp__server${i}__*` });
        break;
      case 1:
        rules.push({ action, tool: ['Edit', 'Write', `Tool${i}`], cwd: `/srv/app${i}/**` });
        break;
      case 2:
        rules.push({ action, tool: 'Bash', args: { command: [`*git push*origin${i}*`, '!*--dry-run*'] }, reason: `rule ${i}` });
        break;
      case 3:
        rules.push({ action, tool: 'B*', args: { command: [`npm run build${i}*`, `npm test -- ${i}*`] } });
        break;
      case 4:
        rules.push({ action, tool: '*', cwd: [`/home/user/project${i}/**`, '!**/node_modules/**'] });
        break;
      case 5:
        // Only an exclusion, and it excludes the request's command.
        rules.push({ action, tool: '{Bash,Read}', args: { command: '!*rm -rf*', description: `*deploy ${i}*` } });
        break;
      case 6:
        rules.push({ action, tool: 'Read', args: { file_path: ['**/.env', `**/secrets${i}/**`] } });
        break;
      default:
        rules.push({ action, tool: 'Bash', cwd: '/tmp/**', args: { command: `*curl*| sh*${i}` } });
    }
  }
  return rules;
}

/** 999 filler rules in 9 policies of higher priority, then a policy of priority 1 whose one rule is `lastRule`. */
function policyInputs(lastRule) {
  const filler = fillerRules(plan.rules - 1);
  const perPolicy = Math.ceil(filler.length / 9);
  const inputs = [];
  for (let p = 0; p * perPolicy < filler.length; p++) {
    inputs.push({ name: `bench-filler-${p}`, priority: 100 - p, rules: filler.slice(p * perPolicy, (p + 1) * perPolicy) });
  }
  inputs.push({ ...BENCH_POLICY, rules: [lastRule] });
  return inputs;
}

// ---- (2) the decision in process ----

async function loadPolicyCode() {
  const { build } = await import('esbuild');
  const entry = [
    "export { decide, effectiveRules } from './src/core/policies/engine';",
    "export { PolicyService } from './src/core/policies/service';",
    "export { openDatabase } from './src/core/db/open';",
  ].join('\n');
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'bench-hooks-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    external: ['better-sqlite3'],
    logLevel: 'silent',
  });
  fs.mkdirSync(bundleDir, { recursive: true });
  const file = path.join(bundleDir, 'policies.mjs');
  fs.writeFileSync(file, result.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}

/** Runs each named function once per iteration, in rotating order, timing each; warm-up iterations are not kept. */
function interleave(fns, iterations, warmup) {
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = -warmup; i < iterations; i++) {
    const shift = ((i % names.length) + names.length) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const started = process.hrtime.bigint();
      fns[name]();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (i >= 0) times[name].push(ms);
    }
  }
  return times;
}

function checkDecision(decision, expected, what) {
  const ok = expected === 'deny' ? decision.decision === 'deny' && decision.reason === 'bench' : decision.decision === 'ask' && decision.matched === null;
  if (!ok) throw new Error(`${what}: expected ${expected === 'deny' ? 'the bench deny' : 'the default ask with no rule matched'}, got ${JSON.stringify({ decision: decision.decision, reason: decision.reason })}`);
}

async function measureDecisions() {
  note('bundling the policy engine, service and database code with esbuild');
  const { decide, effectiveRules, PolicyService, openDatabase } = await loadPolicyCode();
  const at = new Date().toISOString();
  const scopedFor = (lastRule) =>
    policyInputs(lastRule).map((input, index) => ({
      policy: { id: `pol_${String(index).padStart(10, '0')}`, description: null, enabled: true, sessionId: null, createdAt: at, updatedAt: at, ...input },
      origin: { kind: 'global' },
    }));
  const scoped = { last: scopedFor(DENY_RULE), none: scopedFor(NEAR_MISS_RULE) };
  const ruleCount = effectiveRules(scoped.last).length;
  if (ruleCount !== plan.rules) throw new Error(`expected ${plan.rules} effective rules, got ${ruleCount}`);
  checkDecision(decide(effectiveRules(scoped.last), REQUEST, 'ask'), 'deny', 'engine, deciding rule last');
  checkDecision(decide(effectiveRules(scoped.none), REQUEST, 'ask'), 'none', 'engine, no rule matching');
  checkDecision(decide([], REQUEST, 'ask'), 'none', 'engine, no rules');

  note(`engine: ${plan.decisions} decisions each, interleaved`);
  // The daemon orders a session's rules once and keeps them until a policy changes (PolicyService caches them), so
  // the engine is timed on an ordered list; the service rows below include that cache and the audit INSERT.
  const ordered = { last: effectiveRules(scoped.last), none: effectiveRules(scoped.none) };
  const engine = interleave(
    {
      empty: () => decide([], REQUEST, 'ask'),
      last: () => decide(ordered.last, REQUEST, 'ask'),
      none: () => decide(ordered.none, REQUEST, 'ask'),
    },
    plan.decisions,
    plan.decisionWarmup,
  );

  // The service on a real database file, migrated by openDatabase, as the daemon opens it.
  serviceDb = openDatabase(path.join(dir, 'policies.db'));
  const service = new PolicyService(serviceDb, { defaultAction: () => 'ask', sessionExists: () => false });
  for (const input of policyInputs(DENY_RULE)) service.createPolicy({ enabled: true, sessionId: null, ...input });
  const effective = service.effective(null);
  if (effective.length !== plan.rules || effective.at(-1).rule.reason !== 'bench') {
    throw new Error(`the service's effective rules are not the ${plan.rules} expected with the deny last (${effective.length} rules)`);
  }
  serviceDb.exec('CREATE TABLE bench_insert (id INTEGER PRIMARY KEY, at TEXT NOT NULL, session_id TEXT, event TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL)');
  const insert = serviceDb.prepare('INSERT INTO bench_insert (at, session_id, event, tool, args, decision, reason) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const bareInsert = () => insert.run(new Date().toISOString(), null, 'PreToolUse', 'Bash', JSON.stringify(REQUEST.args), 'deny', 'bench');
  const serviceRequest = { ...REQUEST, sessionId: null, event: 'PreToolUse' };
  const auditRows = () => serviceDb.prepare('SELECT count(*) AS n FROM policy_decisions').get().n;

  const serviceTimes = {};
  for (const scenario of ['last', 'none']) {
    if (scenario === 'none') service.updatePolicy('bench', { rules: [NEAR_MISS_RULE] });
    checkDecision(service.decide(serviceRequest), scenario === 'last' ? 'deny' : 'none', `service, ${scenario === 'last' ? 'deciding rule last' : 'no rule matching'}`);
    note(`service (${scenario === 'last' ? 'deciding rule last' : 'no rule matching'}): ${plan.decisions} decisions, interleaved with bare INSERTs`);
    const rowsBefore = auditRows();
    const times = interleave({ decide: () => service.decide(serviceRequest), insert: bareInsert }, plan.decisions, plan.decisionWarmup);
    const written = auditRows() - rowsBefore;
    if (written !== plan.decisions + plan.decisionWarmup) problems.push(`service (${scenario}): ${written} audit rows written for ${plan.decisions + plan.decisionWarmup} decisions`);
    serviceTimes[scenario] = times;
  }
  serviceDb.close();
  serviceDb = undefined;
  return {
    rules: plan.rules,
    decisions: plan.decisions,
    engine: { empty: stats(engine.empty), last: stats(engine.last), none: stats(engine.none) },
    service: {
      last: stats(serviceTimes.last.decide),
      none: stats(serviceTimes.none.decide),
      insertDuringLast: stats(serviceTimes.last.insert),
      insertDuringNone: stats(serviceTimes.none.insert),
      insert: stats([...serviceTimes.last.insert, ...serviceTimes.none.insert]),
    },
  };
}

// ---- (1) and (3): against a running daemon ----

/** The single-quoted words of the hook command the daemon writes into settings overlays. */
function parseHookCommand(command) {
  const words = [];
  const pattern = /'((?:[^']|'\\'')*)'(?:\s+|$)/y;
  for (let match; pattern.lastIndex < command.length && (match = pattern.exec(command)); ) words.push(match[1].replace(/'\\''/g, "'"));
  return pattern.lastIndex === command.length ? words : undefined;
}

function checkHookOutput(stdout, what) {
  let parsed;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`${what} did not print the deny decision JSON; it printed ${JSON.stringify(stdout)}`);
  }
  if (JSON.stringify(parsed) !== JSON.stringify(EXPECTED_OUTPUT)) {
    throw new Error(`${what} printed ${stdout.trim()}, not the deny decision ${JSON.stringify(EXPECTED_OUTPUT)}`);
  }
}

async function measureDaemon() {
  const info = await startDaemon();
  note(`daemon pid ${info.pid} on ${socketPath} (tmux -L ${tmuxServer})`);
  const session = (await api('POST', '/sessions', { provider: 'command', cwd: '/tmp', args: ['sleep', '3600'] })).body;
  tmuxServerPid = Number(spawnSync('tmux', ['-L', tmuxServer, 'display-message', '-p', '#{pid}'], { env, encoding: 'utf8' }).stdout.trim()) || undefined;
  await api('POST', '/policies', BENCH_POLICY);
  const secret = JSON.parse(fs.readFileSync(path.join(env.CODEPIPER_HOME, 'secrets.json'), 'utf8')).hookSecret;
  if (typeof secret !== 'string') throw new Error('no hookSecret in secrets.json');

  // What the settings overlay runs; it should be this node on this repository's dist/hook.cjs.
  const hookCommand = (await api('GET', '/hooks')).body.command;
  const words = parseHookCommand(hookCommand);
  let overlayArgv = words;
  if (!words || words.length !== 2 || words[0] !== process.execPath || fs.realpathSync(words[1]) !== fs.realpathSync(hookBundle)) {
    problems.push(`the daemon's hook command is ${hookCommand}, expected '${process.execPath}' '${hookBundle}'; timed ${hookBundle} instead`);
    overlayArgv = [process.execPath, hookBundle];
  }

  // (1) The three commands interleaved, each run's output checked: a hook that prints nothing would time as fast.
  const hookEnv = { ...env, CODEPIPER_SESSION: session.id, CODEPIPER_SOCKET: socketPath, CODEPIPER_SECRET: secret };
  const commands = {
    baseline: { argv: [process.execPath, '-e', '0'], check: false },
    forward: { argv: [process.execPath, bin, 'hook-forward'], check: true },
    overlay: { argv: overlayArgv, check: true },
  };
  const run = (name) => {
    // stdin must be a pipe for `input` to reach it (timeCommand's default ignores stdin).
    const { ms, stdout } = timeCommand(commands[name].argv, { env: hookEnv, input: HOOK_INPUT, stdio: ['pipe', 'pipe', 'pipe'] });
    if (commands[name].check) checkHookOutput(stdout, commands[name].argv.join(' '));
    return ms;
  };
  note(`hook processes: ${plan.forwardRuns} interleaved runs each`);
  const names = Object.keys(commands);
  const forward = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = -plan.warmup; i < plan.forwardRuns; i++) {
    // Rotate which goes first so none always runs on a cache another warmed.
    const shift = ((i % names.length) + names.length) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const ms = run(name);
      if (i >= 0) forward[name].push(ms);
    }
  }

  // (3) The hook endpoint itself over a kept-alive connection, first with the one bench rule, then with 1,000 rules.
  const hookHeaders = { 'x-codepiper-session': session.id, 'x-codepiper-secret': secret };
  const roundTrips = async (label) => {
    note(`POST /hooks/claude and GET /health (${label}), ${plan.requests} each, interleaved`);
    // A fresh connection: the daemon closes one idle for 5 s (Node's keep-alive timeout), and while the spawnSync
    // loop above blocked the event loop the agent could not notice, so reusing the old one races with that close.
    agent.destroy();
    agent = newAgent();
    const times = { hook: [], health: [] };
    for (let i = -plan.warmup * 2; i < plan.requests; i++) {
      const order = i % 2 ? ['health', 'hook'] : ['hook', 'health'];
      for (const which of order) {
        const response = which === 'hook' ? await api('POST', '/hooks/claude', HOOK_INPUT, hookHeaders) : await api('GET', '/health');
        if (which === 'hook' && JSON.stringify(response.body.output) !== JSON.stringify(EXPECTED_OUTPUT)) {
          throw new Error(`POST /hooks/claude (${label}) answered ${JSON.stringify(response.body)}, not the deny decision`);
        }
        if (i >= 0) times[which].push(response.ms);
      }
    }
    return { hook: stats(times.hook), health: stats(times.health) };
  };
  const oneRule = await roundTrips('1 rule');
  for (const input of policyInputs(DENY_RULE).slice(0, -1)) await api('POST', '/policies', input);
  const effective = (await api('GET', `/sessions/${session.id}/effective-policies`)).body;
  if ((effective.rules.length !== plan.rules || effective.rules.at(-1).rule.reason !== 'bench')) {
    problems.push(`the daemon's effective rules: ${effective.rules.length}, the last ${JSON.stringify(effective.rules.at(-1)?.rule)}`);
  }
  const manyRules = await roundTrips(`${plan.rules} rules`);

  for (const line of daemonLog) if (/^\S+ (warn|error)/.test(line)) problems.push(`daemon log: ${line}`);
  return {
    hookCommand,
    forward: {
      runs: plan.forwardRuns,
      baseline: stats(forward.baseline),
      forward: stats(forward.forward),
      overlay: stats(forward.overlay),
      overlayCommand: overlayArgv.join(' '),
    },
    roundTrip: { requests: plan.requests, oneRule, manyRules, rules: plan.rules },
  };
}

// ---- the run ----

const stats = (values) => ({ n: values.length, median: median(values), p90: percentile(values, 90), p99: percentile(values, 99), max: Math.max(...values) });
const f = (value, digits = 1) => value.toFixed(digits);
const us = (ms) => `${f(ms * 1000)} µs`;

async function main() {
  if (!fs.existsSync(hookBundle)) throw new Error(`${hookBundle} is missing; run npm run build first`);
  const result = { mode: quick ? 'quick' : 'full', node: process.version, cpus: os.cpus().length, plan, targets };
  // The in-process part first, while no daemon runs beside it.
  result.decisions = await measureDecisions();
  Object.assign(result, await measureDaemon());
  result.problems = problems;
  return result;
}

// ---- the report ----

function report(r) {
  const d = r.decisions;
  const fw = r.forward;
  const rt = r.roundTrip;
  const ratio = (a, b) => (b > 0 ? `${f(a / b, 2)}x` : 'n/a');
  const lines = [
    `hooks bench (${r.mode} run): Node ${r.node}, ${r.cpus} CPUs`,
    `(1) one PreToolUse hook call (deny expected and checked on every run), ${fw.runs} interleaved runs each`,
    `    node -e 0                          median ${f(fw.baseline.median)} ms   p90 ${f(fw.baseline.p90)} ms`,
    `    node bin/codepiper hook-forward    median ${f(fw.forward.median)} ms   p90 ${f(fw.forward.p90)} ms   ratio ${ratio(fw.forward.median, fw.baseline.median)}`,
    `    node dist/hook.cjs (the overlay's) median ${f(fw.overlay.median)} ms   p90 ${f(fw.overlay.p90)} ms   ratio ${ratio(fw.overlay.median, fw.baseline.median)}`,
    `    the daemon's hook command: ${r.hookCommand}`,
    `(2) decisions in process with ${d.rules} rules, ${d.decisions} each after warm-up`,
    `    decide([]) (no rules)              p50 ${us(d.engine.empty.median)}   p99 ${us(d.engine.empty.p99)}`,
    `    engine, deciding rule last         p50 ${us(d.engine.last.median)}   p99 ${us(d.engine.last.p99)}   max ${us(d.engine.last.max)}`,
    `    engine, no rule matching           p50 ${us(d.engine.none.median)}   p99 ${us(d.engine.none.p99)}   max ${us(d.engine.none.max)}`,
    `    bare SQLite INSERT                 p50 ${us(d.service.insert.median)}   p99 ${us(d.service.insert.p99)}`,
    `    service, deciding rule last        p50 ${us(d.service.last.median)}   p99 ${us(d.service.last.p99)}   max ${us(d.service.last.max)}`,
    `    service, no rule matching          p50 ${us(d.service.none.median)}   p99 ${us(d.service.none.p99)}   max ${us(d.service.none.max)}`,
    `(3) POST /hooks/claude over the socket (keep-alive), ${rt.requests} interleaved requests each`,
    `    hook, 1 rule                       p50 ${f(rt.oneRule.hook.median, 3)} ms   p99 ${f(rt.oneRule.hook.p99, 3)} ms`,
    `    GET /health                        p50 ${f(rt.oneRule.health.median, 3)} ms   p99 ${f(rt.oneRule.health.p99, 3)} ms`,
    `    hook, ${rt.rules} rules                   p50 ${f(rt.manyRules.hook.median, 3)} ms   p99 ${f(rt.manyRules.hook.p99, 3)} ms`,
    `    GET /health                        p50 ${f(rt.manyRules.health.median, 3)} ms   p99 ${f(rt.manyRules.health.p99, 3)} ms`,
    '',
  ];
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const forwardRow = (label, s) => [
    label,
    `median ${f(s.median)} ms`,
    `node -e 0 ${f(fw.baseline.median)} ms (${ratio(s.median, fw.baseline.median)})`,
    `<= ${r.targets.forwardRatio}x`,
    pass(s.median / fw.baseline.median <= r.targets.forwardRatio),
  ];
  const decisionRow = (label, s, baseline) => [label, `p99 ${us(s.p99)}`, baseline, `< ${r.targets.decisionP99Ms} ms`, pass(s.p99 < r.targets.decisionP99Ms)];
  const emptyBaseline = `decide([]) p99 ${us(d.engine.empty.p99)}`;
  const insertBaseline = `bare INSERT p99 ${us(d.service.insert.p99)}`;
  const roundTripRow = (label, s) => [label, `p50 ${f(s.hook.median, 2)} / p99 ${f(s.hook.p99, 2)} ms`, `GET /health p50 ${f(s.health.median, 2)} / p99 ${f(s.health.p99, 2)} ms (p50 ${ratio(s.hook.median, s.health.median)})`, '-', 'info'];
  const rows = [
    ['check', 'ours', 'baseline', 'target', 'result'],
    forwardRow('(1) hook-forward via bin/codepiper', fw.forward),
    forwardRow('(1) dist/hook.cjs (overlay command)', fw.overlay),
    decisionRow(`(2) engine, ${d.rules} rules, match last`, d.engine.last, emptyBaseline),
    decisionRow(`(2) engine, ${d.rules} rules, no match`, d.engine.none, emptyBaseline),
    decisionRow(`(2) service+audit, ${d.rules} rules, last`, d.service.last, insertBaseline),
    decisionRow(`(2) service+audit, ${d.rules} rules, none`, d.service.none, insertBaseline),
    roundTripRow('(3) POST /hooks/claude, 1 rule', rt.oneRule),
    roundTripRow(`(3) POST /hooks/claude, ${rt.rules} rules`, rt.manyRules),
  ];
  lines.push(...formatColumns(rows));
  if (r.problems.length) lines.push('', 'problems seen:', ...r.problems.map((problem) => `  - ${problem}`));
  return lines.join('\n');
}

await runBench({ name: 'hooks', main, report, asJson, cleanup, daemonLog: () => daemonLog });
