import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { clip, formatBar, formatCost, formatCount, formatKeyValues, formatPercent, formatTable, formatTokens, type Column } from '../../client/format';
import { print, printJson, spareWidth } from '../output';
import { routeNumber, routeOption } from '../route-options';
import { examples, HELP_GROUPS, unknownSubcommand } from '../help';

type Range = RouteOutput<'analytics.overview'>['range'];

const TOOL_LIMIT = routeNumber('analytics.toolUsage', 'limit');

interface ScopeOptions {
  days?: number;
  since?: string;
  until?: string;
  tz?: string;
  cwd?: string;
  session?: string;
  json?: boolean;
}

/** What every analytics route takes: a range and a scope. */
interface Scope {
  range?: '30d';
  since?: string;
  until?: string;
  tz: string;
  cwd?: string;
  session?: string;
}

/** `analytics overview|costs|tools|activity|sessions`: reports over the transcripts the daemon has indexed. */
export function analyticsCommand(): Command {
  const analytics = new Command('analytics')
    .description('tokens, cost, tools and activity of every indexed conversation (the last 30 days unless told otherwise)')
    .summary('tokens, cost, tools and activity over time')
    .helpGroup(HELP_GROUPS.transcripts)
    .addHelpText('after', examples('codepiper analytics overview', ['cost per day this week', 'codepiper analytics costs --days 7'], 'codepiper analytics tools --cwd ~/src/app'))
    // A bare `codepiper analytics` shows its help on standard output and succeeds.
    .allowExcessArguments()
    .action((_options: unknown, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(command, command.args[0]!, 'report');
      command.outputHelp();
    });
  withScope(analytics.command('overview').description('sessions, messages, tokens by kind, cache hit rate and cost'))
    .addHelpText('after', examples('codepiper analytics overview', ['today only', 'codepiper analytics overview --days 1'], ['one project, all of 2026', 'codepiper analytics overview --cwd ~/src/app --since 2026-01-01']))
    .action(async (options: ScopeOptions, command: Command) => {
    const overview = await commandContext(command).client().call('analytics.overview', scope(options));
    if (options.json) return printJson(overview);
    const unpriced = overview.unpricedTokens > 0 ? ` (${formatCount(overview.unpricedTokens)} tokens of unpriced models not counted)` : '';
    print(
      formatKeyValues([
        ['range', describeRange(overview.range)],
        ['sessions', formatCount(overview.sessions)],
        ['active', `${formatCount(overview.activeSessions)} (managed sessions running now)`],
        ['messages', formatCount(overview.messages)],
        ['input tokens', formatCount(overview.inputTokens)],
        ['output tokens', formatCount(overview.outputTokens)],
        ['cache write tokens', formatCount(overview.cacheCreationTokens)],
        ['cache read tokens', formatCount(overview.cacheReadTokens)],
        ['total tokens', formatCount(overview.totalTokens)],
        ['cache hit rate', formatPercent(overview.cacheHitRate)],
        ['cost', formatCost(overview.totalCost) + unpriced],
        ...(overview.unpricedModels.length ? [['unpriced models', overview.unpricedModels.join(', ')] as const] : []),
      ]),
    );
  });
  withScope(analytics.command('costs').description('tokens and cost per day, then per model'))
    .addHelpText('after', examples('codepiper analytics costs', ['the last 7 days, counted in UTC', 'codepiper analytics costs --days 7 --tz UTC'], 'codepiper analytics costs --since 2026-11-01 --until 2026-11-30 --json'))
    .action(async (options: ScopeOptions, command: Command) => {
    const client = commandContext(command).client();
    const input = scope(options);
    const [usage, byModel] = await Promise.all([client.call('analytics.tokenUsage', input), client.call('analytics.tokensByModel', input)]);
    if (options.json) return printJson({ tokenUsage: usage, tokensByModel: byModel });
    print(describeRange(usage.range));
    if (usage.days.length === 0) return print('no token usage in this range');
    type Day = (typeof usage.days)[number] | ({ date: string } & typeof usage.totals);
    print('');
    print(
      withBars<Day>(
        [...usage.days, { date: 'total', ...usage.totals }],
        [
          { header: 'DATE', value: (d) => d.date },
          { header: 'INPUT', value: (d) => formatTokens(d.inputTokens), align: 'right' },
          { header: 'OUTPUT', value: (d) => formatTokens(d.outputTokens), align: 'right' },
          { header: 'CACHE W', value: (d) => formatTokens(d.cacheCreationTokens), align: 'right' },
          { header: 'CACHE R', value: (d) => formatTokens(d.cacheReadTokens), align: 'right' },
          { header: 'TOTAL', value: (d) => formatTokens(d.totalTokens), align: 'right' },
          { header: 'COST', value: (d) => formatCost(d.totalCost), align: 'right' },
        ],
        (d) => (d.date === 'total' ? 0 : d.totalCost),
      ),
    );
    if (byModel.models.length === 0) return;
    print('');
    print(
      withBars(
        byModel.models,
        [
          { header: 'MODEL', value: (m) => m.model },
          { header: 'REQUESTS', value: (m) => formatCount(m.requests), align: 'right' },
          { header: 'TOKENS', value: (m) => formatTokens(m.totalTokens), align: 'right' },
          { header: 'COST', value: (m) => modelCost(m), align: 'right' },
        ],
        (m) => m.totalCost,
      ),
    );
  });
  withScope(analytics.command('tools').description('the most used tools: calls and sessions'))
    .addHelpText('after', examples('codepiper analytics tools', 'codepiper analytics tools --limit 5 --days 7', ['in one conversation', 'codepiper analytics tools --session app']))
    .option('--limit <n>', `how many tools (default ${TOOL_LIMIT.default}, at most ${TOOL_LIMIT.max})`, routeOption('analytics.toolUsage', 'limit'))
    .action(async (options: ScopeOptions & { limit?: number }, command: Command) => {
      const answer = await commandContext(command)
        .client()
        .call('analytics.toolUsage', { ...scope(options), ...(options.limit ? { limit: options.limit } : {}) });
      if (options.json) return printJson(answer);
      print(describeRange(answer.range));
      if (answer.tools.length === 0) return print('no tool calls in this range');
      print('');
      print(
        withBars(
          answer.tools,
          [
            { header: 'TOOL', value: (t) => t.tool },
            { header: 'CALLS', value: (t) => formatCount(t.calls), align: 'right' },
            { header: 'SESSIONS', value: (t) => formatCount(t.sessions), align: 'right' },
          ],
          (t) => t.calls,
        ),
      );
    });
  withScope(analytics.command('activity').description('messages, sessions and tokens per day (per hour with --days 1)'))
    .addHelpText('after', examples('codepiper analytics activity', ['hour by hour, today', 'codepiper analytics activity --days 1']))
    .action(async (options: ScopeOptions, command: Command) => {
    const answer = await commandContext(command)
      .client()
      .call('analytics.activityTimeline', { ...scope(options), ...(options.days === 1 ? { granularity: 'hour' as const } : {}) });
    if (options.json) return printJson(answer);
    print(describeRange(answer.range));
    if (answer.points.length === 0) return print('no activity in this range');
    print('');
    print(
      withBars(
        answer.points,
        [
          { header: answer.granularity === 'hour' ? 'HOUR' : 'DATE', value: (p) => (answer.granularity === 'hour' ? `${p.at.replace('T', ' ')}:00` : p.at) },
          { header: 'MESSAGES', value: (p) => formatCount(p.messages), align: 'right' },
          { header: 'SESSIONS', value: (p) => formatCount(p.sessions), align: 'right' },
          { header: 'TOKENS', value: (p) => formatTokens(p.totalTokens), align: 'right' },
        ],
        (p) => p.messages,
      ),
    );
  });
  withScope(analytics.command('sessions').description('sessions, running sessions, tokens and cost per provider'))
    .addHelpText('after', examples('codepiper analytics sessions', 'codepiper analytics sessions --days 7 --json'))
    .action(async (options: ScopeOptions, command: Command) => {
    const answer = await commandContext(command).client().call('analytics.sessionsByProvider', scope(options));
    if (options.json) return printJson(answer);
    print(describeRange(answer.range));
    if (answer.providers.length === 0) return print('no sessions in this range');
    print('');
    print(
      formatTable(answer.providers, [
        { header: 'PROVIDER', value: (p) => p.provider },
        { header: 'SESSIONS', value: (p) => formatCount(p.sessions), align: 'right' },
        { header: 'ACTIVE', value: (p) => formatCount(p.activeSessions), align: 'right' },
        { header: 'TOKENS', value: (p) => formatTokens(p.totalTokens), align: 'right' },
        { header: 'COST', value: (p) => formatCost(p.totalCost), align: 'right' },
      ]),
    );
  });
  addUsageReports(analytics);
  return analytics;
}

function withScope(command: Command): Command {
  return command
    .option('--days <n>', 'the last N days, today included', dayCount)
    .option('--since <day>', 'from this day (YYYY-MM-DD, or an ISO time)', dayOrTime)
    .option('--until <day>', 'up to this day, included (YYYY-MM-DD), or up to an ISO time', dayOrTime)
    .option('--tz <zone>', 'the IANA time zone days are counted in (default: the system zone)')
    .option('--cwd <dir>', 'only sessions in this directory or below it')
    .option('--session <id>', 'only this conversation (library id or prefix, or a managed session id or name)')
    .option('--json', "print the daemon's answer as JSON");
}

/**
 * The range and scope the routes take. Days are counted in --tz, else in this terminal's zone (sent along, so that the
 * daemon counts the same days whatever zone it runs in); --days N starts N - 1 days before today.
 */
function scope(options: ScopeOptions): Scope {
  if (options.days !== undefined && options.since !== undefined) throw new AppError('USAGE', 'give --days or --since, not both');
  const tz = options.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const since = options.days !== undefined ? daysBefore(options.days - 1, tz) : options.since;
  return {
    ...(since !== undefined ? { since } : options.until === undefined ? { range: '30d' as const } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
    tz,
    ...(options.cwd ? { cwd: path.resolve(options.cwd) } : {}),
    ...(options.session ? { session: options.session } : {}),
  };
}

/** YYYY-MM-DD of the day `back` days before today in `tz`. */
function daysBefore(back: number, tz: string): string {
  const [y, m, d] = dayIn(tz, Date.now()).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - back)).toISOString().slice(0, 10);
}

function dayIn(tz: string, ms: number): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
  } catch {
    throw new AppError('USAGE', `--tz: unknown time zone "${tz}" (use an IANA name such as Europe/Paris or UTC)`);
  }
}

/** "2025-02-04 to 2025-03-05 (Europe/Paris)": the days a report covers, the last one included. */
function describeRange(range: Range): string {
  const from = range.from ? dayIn(range.tz, Date.parse(range.from)) : 'the beginning';
  const to = range.to ? dayIn(range.tz, Date.parse(range.to) - 1) : 'now';
  return `${from} to ${to} (${range.tz})`;
}

/** A table with a last column of bars, as wide as the terminal leaves room for. */
function withBars<Row>(rows: readonly Row[], columns: Column<Row>[], measure: (row: Row) => number): string {
  const width = spareWidth(formatTable(rows, columns));
  const max = Math.max(0, ...rows.map(measure));
  return formatTable(rows, [...columns, { header: '', value: (row) => formatBar(measure(row), max, width) }]);
}

function modelCost(model: RouteOutput<'analytics.tokensByModel'>['models'][number]): string {
  if (model.priced) return formatCost(model.totalCost);
  return model.totalCost > 0 ? `${formatCost(model.totalCost)} + unpriced` : 'unpriced';
}

/** --days is the command line's own (the routes take since/until): any positive whole number of days. */
function dayCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}

function dayOrTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T.+)?$/.test(value)) throw new InvalidArgumentError(`expected a day as YYYY-MM-DD (or an ISO time), got "${value}"`);
  return value;
}

// ---- The reports ccusage users know: monthly, session, blocks ----

type Blocks = RouteOutput<'analytics.blocks'>;
type Block = Blocks['blocks'][number];

/** A scope with no range given covers all time (as ccusage's monthly, session and blocks do), not the last 30 days. */
function allTime(input: Scope): Omit<Scope, 'range'> & { range?: 'all' } {
  const { range, ...rest } = input;
  return range ? { ...rest, range: 'all' } : rest;
}

const tokenColumns = <Row extends { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; totalTokens: number; totalCost: number }>(): Column<Row>[] => [
  { header: 'INPUT', value: (r) => formatTokens(r.inputTokens), align: 'right' },
  { header: 'OUTPUT', value: (r) => formatTokens(r.outputTokens), align: 'right' },
  { header: 'CACHE W', value: (r) => formatTokens(r.cacheCreationTokens), align: 'right' },
  { header: 'CACHE R', value: (r) => formatTokens(r.cacheReadTokens), align: 'right' },
  { header: 'TOTAL', value: (r) => formatTokens(r.totalTokens), align: 'right' },
  { header: 'COST', value: (r) => formatCost(r.totalCost), align: 'right' },
];

function addUsageReports(analytics: Command): void {
  withScope(analytics.command('monthly').description('tokens and cost per calendar month (like ccusage monthly; all time unless --days/--since/--until)'))
    .addHelpText('after', examples('codepiper analytics monthly', 'codepiper analytics monthly --since 2026-01-01 --tz Europe/Paris', 'codepiper analytics monthly --json'))
    .action(async (options: ScopeOptions, command: Command) => {
      const answer = await commandContext(command).client().call('analytics.monthly', allTime(scope(options)));
      if (options.json) return printJson(answer);
      print(describeRange(answer.range));
      if (answer.months.length === 0) return print('no token usage in this range');
      type Month = (typeof answer.months)[number] | ({ month: string } & typeof answer.totals);
      print('');
      print(withBars<Month>([...answer.months, { month: 'total', ...answer.totals }], [{ header: 'MONTH', value: (m) => m.month }, ...tokenColumns<Month>()], (m) => (m.month === 'total' ? 0 : m.totalCost)));
    });

  withScope(
    analytics
      .command('session')
      .description('tokens and cost per session, costliest first (like ccusage session; all time unless --days/--since/--until); not "sessions", which sums per provider'),
  )
    .addHelpText(
      'after',
      [
        '',
        'A session is named as ccusage names it: a Claude Code transcript by its id (an',
        'old-layout subagent file agent-<id>.jsonl on its own row), a Codex rollout by its',
        'path under sessions/. LIBRARY is the conversation it belongs to, as',
        '`codepiper library show` takes it.',
      ].join('\n'),
    )
    .addHelpText('after', examples('codepiper analytics session', ['the last week, in this project', 'codepiper analytics session --days 7 --cwd .'], 'codepiper analytics session --json'))
    .action(async (options: ScopeOptions, command: Command) => {
      const answer = await commandContext(command).client().call('analytics.sessionUsage', allTime(scope(options)));
      if (options.json) return printJson(answer);
      print(describeRange(answer.range));
      if (answer.sessions.length === 0) return print('no token usage in this range');
      type Row = (typeof answer.sessions)[number];
      const shortId = (r: Row) => (r.sessionId === r.librarySession ? r.sessionId.slice(0, 8) : r.provider === 'codex' ? r.sessionId.split('/').pop()!.replace(/^rollout-/, '').slice(0, 19) : r.sessionId);
      print('');
      print(
        formatTable(answer.sessions, [
          { header: 'SESSION', value: shortId },
          { header: 'LIBRARY', value: (r) => r.librarySession.slice(0, 8) },
          { header: 'AGENT', value: (r) => r.provider },
          { header: 'LAST ACTIVITY', value: (r) => (r.lastActivity ? timeIn(answer.range.tz, r.lastActivity) : '-') },
          { header: 'MODELS', value: (r) => formatCount(r.models.length), align: 'right' },
          { header: 'TOTAL', value: (r) => formatTokens(r.totalTokens), align: 'right' },
          { header: 'COST', value: (r) => formatCost(r.totalCost), align: 'right' },
          { header: 'TITLE', value: (r) => clip(r.title ?? '', 40) },
        ]),
      );
      print(`${formatCount(answer.sessions.length)} sessions, ${formatTokens(answer.totals.totalTokens)} tokens, ${formatCost(answer.totals.totalCost)}`);
    });

  analytics
    .command('blocks')
    .description("Claude Code's 5-hour billing blocks: tokens and cost per block, gaps, the active block's burn rate and projection (like ccusage blocks)")
    .option('--active', 'only the active block, with its burn rate and projection to the end of the block')
    .option('--days <n>', 'blocks that started in the last N days, today included', dayCount)
    .option('--since <day>', 'blocks that started on or after this day (YYYY-MM-DD, or an ISO time)', dayOrTime)
    .option('--until <day>', 'blocks that started up to this day, included (YYYY-MM-DD), or before an ISO time', dayOrTime)
    .option('--tz <zone>', 'the IANA time zone days and times are shown in (default: the system zone)')
    .option('--json', "print the daemon's answer as JSON")
    .addHelpText(
      'after',
      [
        '',
        'A block starts at the full hour (UTC) of the first request after a pause and',
        'lasts 5 hours; a pause of more than 5 hours shows as a gap. The active block is',
        'the one whose 5 hours have not run out: its burn rate is its tokens per minute',
        'and cost per hour between its first and last request, and the projection is',
        'where its tokens and cost end up at the end of the block if that rate holds.',
        'Blocks count Claude Code only (as ccusage blocks).',
      ].join('\n'),
    )
    .addHelpText('after', examples('codepiper analytics blocks', ['the block running now: burn rate and projection', 'codepiper analytics blocks --active'], 'codepiper analytics blocks --days 3 --json'))
    .action(async (options: Omit<ScopeOptions, 'cwd' | 'session'> & { active?: boolean }, command: Command) => {
      const { range: _range, cwd: _cwd, session: _session, ...input } = scope(options);
      const answer = await commandContext(command)
        .client()
        .call('analytics.blocks', { ...input, ...(options.active ? { active: true } : {}) });
      if (options.json) return printJson(answer);
      const tz = answer.range.tz;
      const active = answer.blocks.find((b) => b.isActive);
      if (options.active) return print(active ? describeActive(active, answer.now, tz) : 'no active block: no Claude Code request in the last 5 hours');
      if (answer.blocks.length === 0) return print('no Claude Code usage in this range');
      print(
        formatTable(answer.blocks, [
          { header: 'BLOCK START', value: (b) => timeIn(tz, b.startTime) },
          { header: 'STATUS', value: (b) => blockStatus(b, answer.now) },
          { header: 'REQUESTS', value: (b) => (b.isGap ? '' : formatCount(b.entries)), align: 'right' },
          { header: 'TOTAL', value: (b) => (b.isGap ? '' : formatTokens(b.totalTokens)), align: 'right' },
          { header: 'COST', value: (b) => (b.isGap ? '' : formatCost(b.totalCost)), align: 'right' },
          { header: 'MODELS', value: (b) => b.models.map(shortModel).join(', ') },
        ]),
      );
      const blocks = answer.blocks.filter((b) => !b.isGap).length;
      print(`${formatCount(blocks)} blocks, ${formatTokens(answer.totals.totalTokens)} tokens, ${formatCost(answer.totals.totalCost)} (${tz})`);
      if (active) print(`\n${describeActive(active, answer.now, tz)}`);
    });
}

/** "2026-11-03 04:00" in `tz`. */
function timeIn(tz: string, iso: string): string {
  try {
    return new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.parse(iso));
  } catch {
    throw new AppError('USAGE', `--tz: unknown time zone "${tz}" (use an IANA name such as Europe/Paris or UTC)`);
  }
}

const minutesBetween = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
const hoursMinutes = (minutes: number) => `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;

function blockStatus(block: Block, now: string): string {
  // A gap row starts 5 hours after the last request (when the previous block ran out): the pause began before it.
  if (block.isGap) return `gap: no requests for ${hoursMinutes(minutesBetween(new Date(Date.parse(block.startTime) - 5 * 3_600_000).toISOString(), block.endTime))}`;
  if (block.isActive) return `active, ${hoursMinutes(minutesBetween(now, block.endTime))} left`;
  return `${hoursMinutes(minutesBetween(block.startTime, block.actualEndTime ?? block.startTime))} used`;
}

/** claude-sonnet-4-5-20250929 → sonnet-4-5. */
function shortModel(model: string): string {
  return model.replace(/^claude-/, '').replace(/-\d{8}$/, '');
}

function describeActive(block: Block, now: string, tz: string): string {
  const rate = block.burnRate;
  const projected = block.projection;
  return formatKeyValues([
    ['active block', `${timeIn(tz, block.startTime)} to ${timeIn(tz, block.endTime)} (${tz})`],
    ['elapsed', hoursMinutes(minutesBetween(block.startTime, now))],
    ['remaining', hoursMinutes(minutesBetween(now, block.endTime))],
    ['requests', formatCount(block.entries)],
    ['tokens', `${formatCount(block.totalTokens)} (input ${formatCount(block.inputTokens)}, output ${formatCount(block.outputTokens)}, cache write ${formatCount(block.cacheCreationTokens)}, cache read ${formatCount(block.cacheReadTokens)})`],
    ['cost', formatCost(block.totalCost)],
    ['burn rate', rate ? `${formatCount(Math.round(rate.tokensPerMinute))} tokens/min, ${formatCost(rate.costPerHour)}/h` : '- (a single request so far)'],
    ['projected at block end', projected ? `${formatCount(projected.totalTokens)} tokens, ${formatCost(projected.totalCost)}` : '-'],
  ]).trimEnd();
}
