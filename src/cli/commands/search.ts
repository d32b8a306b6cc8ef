import path from 'node:path';
import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { clip, displayWidth, formatCount, formatWhen, printable } from '../../client/format';
import { colourWanted, print, printJson, terminalColumns } from '../output';
import { routeChoiceOption, routeNumber, routeOption } from '../route-options';
import { examples, HELP_GROUPS } from '../help';

type Hit = RouteOutput<'search'>['hits'][number];

const SNIPPET_INDENT = '    ';
const HIT_LIMIT = routeNumber('search', 'limit');

/** `search <query...>`: full-text search of every indexed conversation. */
export function searchCommand(): Command {
  return new Command('search')
    .description('search prompts, replies, thinking and tool calls of every indexed conversation (words, or FTS5 syntax: "a phrase", pre*, AND/OR/NOT)')
    .summary('full-text search of every conversation')
    .helpGroup(HELP_GROUPS.transcripts)
    .addHelpText(
      'after',
      examples('codepiper search flaky test', ["only what you asked, in one project", 'codepiper search --role user --cwd ~/src/app migration'], ['a phrase and a prefix, best matches first', `codepiper search '"race condition" AND lock*' --sort rank`]),
    )
    .argument('<query...>', 'the words to look for')
    .addOption(routeChoiceOption('--role <role>', 'only messages of this role', 'search', 'role').default('all'))
    .addOption(routeChoiceOption('--provider <provider>', 'only conversations of this agent', 'search', 'provider'))
    .option('--cwd <dir>', 'only conversations in this directory or below it')
    .option('--session <id>', 'only this conversation (library id or prefix, or a managed session id or name)')
    .option('--limit <n>', `how many hits (at most ${HIT_LIMIT.max})`, routeOption('search', 'limit'), HIT_LIMIT.default)
    .addOption(routeChoiceOption('--sort <order>', 'newest first, or best matches first (slower on common words)', 'search', 'sort').default('recent'))
    .option('--json', "print the daemon's answer as JSON")
    .action(async (words: string[], options: { role: string; provider?: string; cwd?: string; session?: string; limit: number; sort: string; json?: boolean }, command: Command) => {
      const query = words.join(' ').trim();
      if (!query) throw new AppError('USAGE', 'the search query is empty: give at least one word (codepiper search <words...>)');
      const answer = await commandContext(command)
        .client()
        .call('search', {
          q: query,
          role: options.role as 'all',
          sort: options.sort as 'recent' | 'rank',
          limit: options.limit,
          ...(options.provider ? { provider: options.provider as 'codex' } : {}),
          ...(options.cwd ? { cwd: path.resolve(options.cwd) } : {}),
          ...(options.session ? { session: options.session } : {}),
        });
      if (options.json) return printJson(answer);
      const total = `${formatCount(answer.total)}${answer.totalExact ? '' : '+'}`;
      print(`${total} ${answer.total === 1 && answer.totalExact ? 'match' : 'matches'} for "${answer.query}"`);
      const width = terminalColumns();
      const highlight = colourWanted() ? { start: '\u001b[1;7m', end: '\u001b[22;27m' } : { start: '[', end: ']' };
      for (const hit of answer.hits) {
        print('');
        print(hitHeading(hit, width));
        print(wrapSnippet(hit.snippet, width - SNIPPET_INDENT.length, highlight).map((line) => SNIPPET_INDENT + line).join('\n'));
      }
      if (answer.hits.length < answer.total) print(`\nshowing ${formatCount(answer.hits.length)} of ${total} (--limit for more)`);
    });
}

function hitHeading(hit: Hit, width: number): string {
  const head = `${formatWhen(hit.timestamp)}  ${hit.provider}  ${hit.sessionId.slice(0, 8)}  `;
  return head + clip(printable(hit.title ?? '(untitled)').replace(/\s+/g, ' '), Math.max(10, width - displayWidth(head)));
}

/**
 * The snippet word-wrapped to `width` columns, with the daemon's <mark>…</mark> turned into `highlight`. A highlight
 * that a line break cuts is closed at the end of the line and opened again on the next, so no escape runs on.
 */
function wrapSnippet(snippet: string, width: number, highlight: { start: string; end: string }): string[] {
  // Markers become single characters first, so that words can be measured without them.
  const START = '\u0001';
  const END = '\u0002';
  const text = printable(snippet).replaceAll('<mark>', START).replaceAll('</mark>', END).replace(/\s+/g, ' ').trim();
  const markerWidth = highlight.start === '[' ? 1 : 0;
  // Display columns (CJK and emoji take two); each marker takes `markerWidth`.
  const measure = (word: string) => displayWidth(word.replace(/[\u0001\u0002]/g, '')) + (word.match(/[\u0001\u0002]/g)?.length ?? 0) * markerWidth;
  const lines: string[] = [];
  let line = '';
  let used = 0;
  for (const word of text.split(' ')) {
    const w = measure(word);
    if (line && used + 1 + w > width) {
      lines.push(line);
      line = word;
      used = w;
    } else {
      line = line ? `${line} ${word}` : word;
      used += (used ? 1 : 0) + w;
    }
  }
  if (line) lines.push(line);
  let open = false;
  return lines.map((raw) => {
    let out = open ? highlight.start : '';
    for (const ch of raw) {
      if (ch === START) {
        open = true;
        out += highlight.start;
      } else if (ch === END) {
        open = false;
        out += highlight.end;
      } else out += ch;
    }
    return open ? out + highlight.end : out;
  });
}
