import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import type { Client } from '../../client/client';
import { commandContext } from '../context';
import {
  clip,
  formatBytes,
  formatCost,
  formatCount,
  formatDuration,
  formatKeyValues,
  formatStamp,
  formatTable,
  formatWhen,
  formatTokens,
  printable,
  type Column,
} from '../../client/format';
import { print, printJson, terminalColumns } from '../output';
import { routeChoiceOption, routeNumber, routeOption } from '../route-options';
import { examples, HELP_GROUPS, unknownSubcommand } from '../help';

type LibrarySession = RouteOutput<'library.get'>['session'];
type Conversation = RouteOutput<'library.get'>;
type Message = Conversation['messages'][number];
type ScanProgress = RouteOutput<'library.scan'>;

const TITLE_WIDTH = { min: 16, max: 40 };
const LIST_LIMIT = routeNumber('library.sessions', 'limit');
const MESSAGE_LIMIT = routeNumber('library.get', 'limit');

/** `library …`: every conversation the daemon has indexed, managed by CodePiper or not. */
export function libraryCommand(): Command {
  return (
    new Command('library')
      .description('the conversations of every agent on this machine, found in their transcripts: list, read, export, tag, delete, restore')
      .summary('every conversation: list, read, export, tag')
      .helpGroup(HELP_GROUPS.transcripts)
      .addHelpText('after', examples('codepiper library list', 'codepiper library show 9b2c', 'codepiper library export 9b2c --format html -o .'))
      // A bare `codepiper library` shows its help on standard output and succeeds.
      .allowExcessArguments()
      .action((_options: unknown, command: Command) => {
        if (command.args.length > 0) throw unknownSubcommand(command, command.args[0]!);
        command.outputHelp();
      })
      .addCommand(listCommand())
      .addCommand(showCommand())
      .addCommand(exportCommand())
      .addCommand(tagCommand())
      .addCommand(favCommand())
      .addCommand(rmCommand())
      .addCommand(restoreCommand())
      .addCommand(scanCommand())
  );
}

interface ListOptions {
  provider?: string;
  cwd?: string;
  tag?: string;
  fav?: boolean;
  search?: string;
  sort: string;
  limit: number;
  offset?: number;
  json?: boolean;
}

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('list conversations, most recent first')
    .addHelpText('after', examples('codepiper library list', ['the costliest Codex conversations', 'codepiper library list --provider codex --sort cost'], 'codepiper library list --cwd ~/src/app --tag bugs --fav'))
    .addOption(routeChoiceOption('--provider <provider>', 'only conversations of this agent', 'library.sessions', 'provider'))
    .option('--cwd <dir>', 'only conversations in this directory or below it')
    .option('--tag <tag>', 'only conversations with this tag (id, name or path) or one below it')
    .option('--fav', 'only favourites')
    .option('--search <words>', 'only conversations whose title contains these words')
    .addOption(routeChoiceOption('--sort <order>', 'the order', 'library.sessions', 'sort').default('recent'))
    .option('--limit <n>', `how many (at most ${LIST_LIMIT.max})`, routeOption('library.sessions', 'limit'), LIST_LIMIT.default)
    .option('--offset <n>', 'skip this many first', routeOption('library.sessions', 'offset'))
    .option('--json', "print the daemon's answer as JSON")
    .action(async (options: ListOptions, command: Command) => {
      const answer = await commandContext(command)
        .client()
        .call('library.sessions', {
          sort: options.sort as 'recent',
          limit: options.limit,
          ...(options.offset ? { offset: options.offset } : {}),
          ...(options.provider ? { provider: options.provider as 'codex' } : {}),
          ...(options.cwd ? { cwd: path.resolve(options.cwd) } : {}),
          ...(options.tag ? { tag: options.tag } : {}),
          ...(options.fav ? { favourite: true } : {}),
          ...(options.search ? { q: options.search } : {}),
        });
      if (options.json) return printJson(answer);
      if (answer.sessions.length === 0) {
        return print(answer.total === 0 ? 'no conversations (index the transcripts with: codepiper library scan)' : `no conversations past ${formatCount(answer.total)}`);
      }
      print(sessionTable(answer.sessions));
      const first = (options.offset ?? 0) + 1;
      const range = first === 1 ? formatCount(answer.sessions.length) : `${formatCount(first)}-${formatCount(first + answer.sessions.length - 1)}`;
      print(`showing ${range} of ${formatCount(answer.total)}`);
    });
}

/**
 * The list's table, fitted to the terminal: the title takes up to 40 columns and narrows to 16 first, then TAGS,
 * PROVIDER, MSGS and TOKENS go in that order.
 */
function sessionTable(sessions: readonly LibrarySession[]): string {
  const now = Date.now();
  const columns: Column<LibrarySession>[] = [
    { header: 'ID', value: (s) => s.id.slice(0, 8) },
    { header: 'PROVIDER', value: (s) => s.provider, drop: 2 },
    { header: 'TITLE', value: (s) => clip(oneLine(s.title ?? '(untitled)'), TITLE_WIDTH.max), shrink: { min: () => TITLE_WIDTH.min } },
    { header: 'LAST ACTIVITY', value: (s) => formatWhen(s.lastActivity, now) },
    { header: 'MSGS', value: (s) => formatCount(s.messageCount), align: 'right', drop: 3 },
    { header: 'TOKENS', value: (s) => formatTokens(s.totalTokens), align: 'right', drop: 4 },
    { header: 'COST', value: (s) => formatCost(s.totalCost), align: 'right' },
    // The favourite and tag columns only when a row has one: at 80 columns, the title needs the room.
    ...(sessions.some((s) => s.favourite) ? [{ header: '★', value: (s: LibrarySession) => (s.favourite ? '★' : '') }] : []),
    ...(sessions.some((s) => s.tags.length) ? [{ header: 'TAGS', value: (s: LibrarySession) => s.tags.join(','), drop: 1 }] : []),
  ];
  return formatTable(sessions, columns, { width: terminalColumns() });
}

function showCommand(): Command {
  return new Command('show')
    .description('show a conversation: what is known of it, then its messages')
    .addHelpText('after', examples(['by a prefix of its library id', 'codepiper library show 9b2c'], ['the conversation of a managed session', 'codepiper library show app --limit 20']))
    .argument('<id>', 'library id or a unique prefix of it (4+ characters), or a managed session id or name')
    .option('--limit <n>', `how many messages (default ${MESSAGE_LIMIT.default}, at most ${MESSAGE_LIMIT.max})`, routeOption('library.get', 'limit'))
    .option('--offset <n>', 'skip this many first messages', routeOption('library.get', 'offset'))
    .option('--json', "print the daemon's answer as JSON")
    .action(async (ref: string, options: { limit?: number; offset?: number; json?: boolean }, command: Command) => {
      const answer = await commandContext(command)
        .client()
        .call('library.get', { id: ref, ...(options.limit ? { limit: options.limit } : {}), ...(options.offset ? { offset: options.offset } : {}) });
      if (options.json) return printJson(answer);
      print(describeSession(answer));
      const width = terminalColumns();
      for (const message of answer.messages) {
        print('');
        print(formatMessage(message, width));
      }
      const first = (options.offset ?? 0) + 1;
      const last = first + answer.messages.length - 1;
      if (answer.messages.length === 0) print(`\nno messages${first > 1 ? ` past ${formatCount(answer.totalMessages)}` : ''}`);
      else if (first > 1 || last < answer.totalMessages) {
        print(`\nmessages ${formatCount(first)}-${formatCount(last)} of ${formatCount(answer.totalMessages)}${last < answer.totalMessages ? ` (--offset ${last} for more)` : ''}`);
      }
    });
}

function describeSession({ session, files, totalMessages }: Conversation): string {
  const unpriced = session.unpricedTokens > 0 ? ` (${formatCount(session.unpricedTokens)} tokens of unpriced models not counted)` : '';
  const managed = session.managed;
  return formatKeyValues([
    ['id', session.id],
    ['provider', session.provider],
    ['title', oneLine(session.title ?? '(untitled)')],
    ['cwd', session.cwd ?? '-'],
    ['branch', session.gitBranch ?? '-'],
    ['model', session.model ?? '-'],
    ['first activity', formatStamp(session.firstActivity, { relative: true })],
    ['last activity', formatStamp(session.lastActivity, { relative: true })],
    ['messages', `${formatCount(session.messageCount)} (${formatCount(totalMessages)} with tool calls and thinking)`],
    [
      'tokens',
      `${formatCount(session.totalTokens)} (input ${formatCount(session.inputTokens)}, output ${formatCount(session.outputTokens)}, ` +
        `cache write ${formatCount(session.cacheCreationTokens)}, cache read ${formatCount(session.cacheReadTokens)})`,
    ],
    ['cost', formatCost(session.totalCost) + unpriced],
    ['tags', session.tags.join(', ') || '-'],
    ['favourite', session.favourite ? 'yes ★' : 'no'],
    ...(managed ? [['managed session', `${managed.id}${managed.name ? ` (${managed.name})` : ''}, ${managed.state.replace('_', ' ')}`] as const] : []),
    ...files.map(
      (file, i) =>
        [
          i === 0 ? 'files' : '',
          `${file.path} (${formatBytes(file.bytesIndexed)}, ${formatCount(file.lines)} lines` +
            `${file.badLines ? `, ${formatCount(file.badLines)} bad` : ''}${file.error ? `, error: ${file.error}` : ''})`,
        ] as const,
    ),
  ]);
}

/** A heading (time, who, what), then the text indented; a tool call is its name and its input on one line. */
function formatMessage(message: Message, width: number): string {
  const time = formatStamp(message.timestamp);
  const subagent = message.sidechain ? '  (subagent)' : '';
  if (message.kind === 'tool_use') {
    const input = message.input === null ? '' : `\n  ${clip(oneLine(compactJson(message.input)), Math.max(10, width - 2))}`;
    return `${time}  tool: ${message.tool ?? '?'}${subagent}${input}`;
  }
  const text = printable(message.text).replace(/\s+$/, '');
  return `${time}  ${message.role} · ${message.kind}${subagent}${text ? `\n${text.replace(/^/gm, '  ')}` : ''}`;
}

function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function exportCommand(): Command {
  return new Command('export')
    .description('write a conversation as Markdown, a self-contained HTML page, or JSON (to standard output without -o)')
    .addHelpText('after', examples('codepiper library export 9b2c > chat.md', ['an HTML page in the current directory, named for the conversation', 'codepiper library export 9b2c --format html -o .']))
    .argument('<id>', 'library id or a unique prefix of it, or a managed session id or name')
    .addOption(routeChoiceOption('--format <format>', 'the format', 'library.export', 'format').default('markdown'))
    .option('-o, --output <file>', 'write to this file (a directory: the suggested file name in it; -: standard output)')
    .option('--force', 'replace the file when it exists')
    .action(async (ref: string, options: { format: string; output?: string; force?: boolean }, command: Command) => {
      const exported = await commandContext(command)
        .client()
        .call('library.export', { id: ref, format: options.format as 'markdown' });
      if (options.output === undefined || options.output === '-') {
        process.stdout.write(exported.content);
        return;
      }
      const target = isDirectory(options.output) ? path.join(options.output, exported.filename) : options.output;
      writeFileAtomically(target, exported.content, Boolean(options.force));
      process.stderr.write(`wrote ${target} (${formatCount(Buffer.byteLength(exported.content))} bytes)\n`);
    });
}

/**
 * Writes through a temporary file in the same directory, so that a reader never sees half a file. Without `force`,
 * a hard link puts it in place only if the name is free (no window between a check and the write); on a file
 * system without hard links, a check and a rename do.
 */
function writeFileAtomically(target: string, content: string, force: boolean): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, content);
    if (force) fs.renameSync(temp, target);
    else {
      try {
        fs.linkSync(temp, target);
        fs.unlinkSync(temp);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
        if (fs.existsSync(target)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        fs.renameSync(temp, target);
      }
    }
  } catch (error) {
    fs.rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new AppError('USAGE', `${target} exists; pass --force to replace it`);
    if (code === 'ENOENT') throw new AppError('USAGE', `cannot write ${target}: directory ${path.dirname(target)} does not exist`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new AppError('PERMISSION_DENIED', `cannot write ${target}: ${(error as Error).message}`);
    if (code === 'EISDIR') throw new AppError('USAGE', `cannot write ${target}: it is a directory`);
    throw error;
  }
}

interface TagOptions {
  remove?: boolean;
  list?: boolean;
  create?: string;
  parent?: string;
  color?: string;
  delete?: string;
  json?: boolean;
}

const TAG_USAGE =
  'usage: library tag <id> <tag> [--remove] | library tag --list | library tag --create <name> [--parent <tag>] [--color #rrggbb] | library tag --delete <tag>';

function tagCommand(): Command {
  return new Command('tag')
    .description('put a tag on a conversation or take it off (--remove); list, create or delete tags')
    .addHelpText('after', examples('codepiper library tag --create bugs --color "#d04040"', 'codepiper library tag 9b2c bugs', 'codepiper library tag --list'))
    .argument('[id]', 'the conversation')
    .argument('[tag]', 'the tag: id, name or parent/child path')
    .option('--remove', 'take the tag off instead')
    .option('--list', 'list every tag with its colour and how many conversations carry it')
    .option('--create <name>', 'create a tag')
    .option('--parent <tag>', 'with --create: nest it under this tag (id or path)')
    .option('--color <#rrggbb>', 'with --create: its colour', hexColour)
    .option('--delete <tag>', 'delete a tag and the tags below it (conversations only lose them)')
    .option('--json', "print the daemon's answer as JSON")
    .action(async (id: string | undefined, tag: string | undefined, options: TagOptions, command: Command) => {
      const modes = [options.list && '--list', options.create !== undefined && '--create', options.delete !== undefined && '--delete'].filter(Boolean);
      if (modes.length > 1) throw new AppError('USAGE', `give only one of ${modes.join(' and ')}; ${TAG_USAGE}`);
      const mode = modes[0];
      if (mode && id !== undefined) throw new AppError('USAGE', `${mode} takes no conversation id; ${TAG_USAGE}`);
      if (mode && options.remove) throw new AppError('USAGE', `--remove goes with <id> <tag>, not ${mode}; ${TAG_USAGE}`);
      if (mode !== '--create' && (options.parent !== undefined || options.color !== undefined)) {
        throw new AppError('USAGE', `--parent and --color go with --create; ${TAG_USAGE}`);
      }
      const client = commandContext(command).client();

      if (mode === '--list') {
        const { tags } = await client.call('tags.list');
        if (options.json) return printJson(tags);
        if (tags.length === 0) return print('no tags (create one with: codepiper library tag --create <name>)');
        return print(
          formatTable(tags, [
            { header: 'ID', value: (t) => String(t.id), align: 'right' },
            { header: 'TAG', value: (t) => t.path },
            { header: 'COLOR', value: (t) => t.color ?? '-' },
            { header: 'SESSIONS', value: (t) => formatCount(t.sessions), align: 'right' },
          ]),
        );
      }
      if (mode === '--create') {
        const parentId = options.parent === undefined ? undefined : await tagId(client, options.parent);
        const created = await client.call('tags.create', {
          name: options.create!,
          ...(parentId !== undefined ? { parentId } : {}),
          ...(options.color ? { color: options.color } : {}),
        });
        if (options.json) return printJson(created);
        return print(`created tag ${created.id} ${created.path}`);
      }
      if (mode === '--delete') {
        const deleted = await client.call('tags.delete', { id: options.delete! });
        if (options.json) return printJson(deleted);
        return print(`deleted tag ${deleted.id} ${deleted.path} (and any tags below it)`);
      }
      if (id === undefined || tag === undefined) throw new AppError('USAGE', `give a conversation and a tag; ${TAG_USAGE}`);
      const session = options.remove ? await client.call('library.removeTag', { id, tag }) : await client.call('library.addTag', { id, tag });
      if (options.json) return printJson(session);
      print(`${session.id.slice(0, 8)} tags: ${session.tags.join(', ') || '(none)'}`);
    });
}

/** A tag's numeric id from its id, path or (unique) name, as tags.create wants its parent. */
async function tagId(client: Client, ref: string): Promise<number> {
  const { tags } = await client.call('tags.list');
  const byName = tags.filter((t) => t.name === ref);
  const found = /^\d+$/.test(ref) ? tags.find((t) => t.id === Number(ref)) : (tags.find((t) => t.path === ref) ?? (byName.length === 1 ? byName[0] : undefined));
  if (!found) {
    const hint = byName.length > 1 ? `several tags are named "${ref}" (${byName.map((t) => t.path).join(', ')}): give the path` : 'see codepiper library tag --list';
    throw new AppError('TAG_NOT_FOUND', `no tag "${ref}" to nest under (${hint})`);
  }
  return found.id;
}

function favCommand(): Command {
  return new Command('fav')
    .description('mark a conversation as a favourite, or unmark it (without --on or --off: the other way round from now)')
    .addHelpText('after', examples('codepiper library fav 9b2c', 'codepiper library fav 9b2c --off'))
    .argument('<id>', 'library id or a unique prefix of it, or a managed session id or name')
    .option('--on', 'mark it')
    .option('--off', 'unmark it')
    .option('--json', 'print the conversation as JSON')
    .action(async (ref: string, options: { on?: boolean; off?: boolean; json?: boolean }, command: Command) => {
      if (options.on && options.off) throw new AppError('USAGE', 'give --on or --off, not both (neither toggles)');
      const favourite = options.on ? true : options.off ? false : undefined;
      const session = await commandContext(command)
        .client()
        .call('library.favourite', { id: ref, ...(favourite !== undefined ? { favourite } : {}) });
      if (options.json) return printJson(session);
      print(`${session.id.slice(0, 8)} ${session.favourite ? '★ favourite' : 'not a favourite'}`);
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .description("move a conversation's transcript files to the trash and forget it")
    .addHelpText('after', examples('codepiper library rm 9b2c', ['without asking, in a script', 'codepiper library rm 9b2c --yes']))
    .argument('<id>', 'library id or a unique prefix of it, or a managed session id or name')
    .option('-y, --yes', 'do not ask for confirmation (needed when standard input is not a terminal)')
    .option('--json', "print the daemon's answer as JSON")
    .action(async (ref: string, options: { yes?: boolean; json?: boolean }, command: Command) => {
      const client = commandContext(command).client();
      if (!options.yes) {
        if (!process.stdin.isTTY) throw new AppError('USAGE', `library rm moves transcript files to the trash: pass --yes to confirm (standard input is not a terminal to ask on)`);
        const { session, files } = await client.call('library.get', { id: ref, limit: 1 });
        const what = `${session.id} (${clip(oneLine(session.title ?? 'untitled'), 50)}): ${files.length} transcript ${files.length === 1 ? 'file' : 'files'}`;
        if (!(await confirm(`move ${what} to the trash? [y/N] `))) {
          process.stderr.write('nothing deleted\n');
          return;
        }
        ref = session.id;
      }
      const deleted = await client.call('library.delete', { id: ref });
      if (options.json) return printJson(deleted);
      const place = deleted.trash.kind === 'desktop' ? `the desktop trash (${deleted.trash.dir})` : deleted.trash.dir;
      print(`deleted ${deleted.id}; ${deleted.trashed.length ? `files moved to ${place}:` : 'no files to move'}`);
      for (const file of deleted.trashed) print(`  ${file.from}\n    → ${file.to}`);
      for (const file of deleted.missing) print(`  ${file} (already gone)`);
    });
}

function restoreCommand(): Command {
  return new Command('restore')
    .description("put a deleted conversation's transcript files back from the trash, with its name, tags and favourite")
    .addHelpText('after', examples('codepiper library restore 9b2c', ['and print the restored conversation as JSON', 'codepiper library restore 9b2c --json']))
    .argument('<id>', 'the id (or a unique prefix) of a conversation deleted with library rm')
    .option('--json', "print the daemon's answer as JSON")
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const restored = await commandContext(command).client().call('library.restore', { id: ref });
      if (options.json) return printJson(restored);
      const title = restored.session ? ` (${clip(oneLine(restored.session.title ?? 'untitled'), 50)})` : '';
      print(`restored ${restored.id}${title}; ${restored.restored.length ? 'files moved back:' : 'no files moved'}`);
      for (const file of restored.restored) print(`  ${file.from}\n    → ${file.to}`);
      for (const file of restored.skipped) print(`  ${file.path} (${file.reason})`);
    });
}

async function confirm(question: string): Promise<boolean> {
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

function scanCommand(): Command {
  return new Command('scan')
    .description('index new and changed transcripts now (the daemon also scans when it starts and follows running sessions)')
    .addHelpText('after', examples('codepiper library scan', ['start it and return at once', 'codepiper library scan --no-wait']))
    .option('--no-wait', 'start the scan and return at once')
    .option('--json', "print the daemon's answer (the scan's progress) as JSON")
    .action(async (options: { wait: boolean; json?: boolean }, command: Command) => {
      // A first scan of a large history takes minutes; the answer comes when it ends.
      const client = commandContext(command).client({ timeoutMs: 6 * 3600_000 });
      const showProgress = options.wait && Boolean(process.stderr.isTTY);
      let waiting = true;
      const ticker = showProgress
        ? setInterval(() => void client.call('library.scanStatus').then((status) => waiting && progressLine(status), () => undefined), 500)
        : undefined;
      let progress: ScanProgress;
      try {
        progress = await client.call('library.scan', { wait: options.wait });
      } finally {
        waiting = false;
        if (ticker) clearInterval(ticker);
        if (showProgress) process.stderr.write('\r\u001b[K');
      }
      if (options.json) return printJson(progress);
      // A scan with little to read may be over before the answer to --no-wait is sent.
      if (progress.running) return print(`scan started: ${formatCount(progress.filesTotal)} files to look at`);
      print(describeScan(progress));
      if (progress.error) throw new AppError('INTERNAL', `the scan stopped: ${progress.error}`);
    });
}

function progressLine(progress: ScanProgress): void {
  if (!progress.running || progress.bytesTotal === 0) return;
  const percent = Math.floor((progress.bytesRead / progress.bytesTotal) * 100);
  process.stderr.write(`\r\u001b[Kscanning: ${percent}% (${formatCount(progress.filesDone)} of ${formatCount(progress.filesTotal)} files)`);
}

function describeScan(progress: ScanProgress): string {
  const { skipped } = progress;
  const took = progress.startedAt && progress.finishedAt ? formatDuration((Date.parse(progress.finishedAt) - Date.parse(progress.startedAt)) / 1000) : '-';
  return formatKeyValues([
    ['files scanned', `${formatCount(progress.filesDone)} of ${formatCount(progress.filesTotal)} (${formatCount(progress.filesChanged)} new or changed)`],
    ['bytes read', `${formatBytes(progress.bytesRead)} (${formatCount(progress.bytesRead)} bytes)`],
    ['took', took],
    [
      'skipped',
      [
        counted(skipped.badLines, 'bad line'),
        counted(skipped.oversizedLines, 'oversized line'),
        counted(skipped.binary, 'binary file'),
        `${formatCount(skipped.unreadable)} unreadable`,
        `${formatCount(skipped.vanished)} vanished`,
      ].join(', '),
    ],
  ]);
}

// ---- helpers ----

/** 1 → "1 bad line", 2 → "2 bad lines". */
function counted(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function oneLine(text: string): string {
  return printable(text).replace(/\s+/g, ' ').trim();
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function hexColour(value: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(value)) throw new InvalidArgumentError(`expected a colour as #rrggbb, got "${value}"`);
  return value;
}
