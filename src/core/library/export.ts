/** Renders one conversation of the library as Markdown, a self-contained HTML page, or JSON. */

export const EXPORT_FORMATS = ['markdown', 'html', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportSession {
  id: string;
  provider: string;
  title: string | null;
  cwd: string | null;
  gitBranch: string | null;
  model: string | null;
  firstAt: string | null;
  lastAt: string | null;
  messageCount: number;
  totalTokens: number;
  totalCost: number;
  tags: string[];
}

export interface ExportMessage {
  timestamp: string;
  role: string;
  kind: string;
  tool: string | null;
  text: string;
  input: string | null;
  sidechain: boolean;
}

export function renderExport(format: ExportFormat, session: ExportSession, messages: ExportMessage[]): { content: string; mimeType: string; extension: string } {
  switch (format) {
    case 'json':
      return { content: `${JSON.stringify({ session, messages }, null, 2)}\n`, mimeType: 'application/json', extension: 'json' };
    case 'markdown':
      return { content: markdown(session, messages), mimeType: 'text/markdown; charset=utf-8', extension: 'md' };
    case 'html':
      return { content: html(session, messages), mimeType: 'text/html; charset=utf-8', extension: 'html' };
  }
}

const heading = (m: ExportMessage): string => {
  if (m.kind === 'tool_use') return `Tool call: ${m.tool ?? 'tool'}`;
  if (m.kind === 'thinking') return 'Thinking';
  if (m.kind === 'summary') return 'Summary of the earlier conversation';
  return m.role === 'user' ? 'User' : 'Assistant';
};

const cost = (usd: number) => `$${usd.toFixed(2)}`;

function prettyInput(input: string | null): string {
  if (!input) return '';
  try {
    return JSON.stringify(JSON.parse(input), null, 2);
  } catch {
    return input;
  }
}

/** A code fence longer than any backtick run inside, so the content cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

function metaLines(s: ExportSession): Array<[string, string]> {
  return [
    ['Session', `${s.id} (${s.provider})`],
    ['Directory', s.cwd ?? '—'],
    ...(s.gitBranch ? [['Branch', s.gitBranch] as [string, string]] : []),
    ...(s.model ? [['Model', s.model] as [string, string]] : []),
    ['Time', `${s.firstAt ?? '?'} → ${s.lastAt ?? '?'}`],
    ['Messages', String(s.messageCount)],
    ['Tokens', `${s.totalTokens.toLocaleString('en-US')} (${cost(s.totalCost)})`],
    ...(s.tags.length ? [['Tags', s.tags.join(', ')] as [string, string]] : []),
  ];
}

function markdown(s: ExportSession, messages: ExportMessage[]): string {
  const out = [`# ${s.title ?? s.id}`, '', ...metaLines(s).map(([k, v]) => `- **${k}:** ${v}`), ''];
  for (const m of messages) {
    out.push(`## ${heading(m)}${m.sidechain ? ' (subagent)' : ''}`, '', `_${m.timestamp}_`, '');
    if (m.kind === 'tool_use') {
      const body = prettyInput(m.input) || m.text;
      const f = fence(body);
      out.push(`${f}json`, body, f, '');
    } else if (m.kind === 'thinking') {
      out.push(...m.text.split('\n').map((line) => `> ${line}`), '');
    } else {
      out.push(m.text, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  :root { color-scheme: light dark; --fg: #1d1f23; --bg: #fbfbfa; --muted: #6b7075; --user: #e8f0fe; --assistant: #ffffff;
          --tool: #f3f1ea; --border: #dcdcd6; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e6e3; --bg: #17181b; --muted: #9a9ea4; --user: #1e2a3d;
          --assistant: #202226; --tool: #26241e; --border: #34363b; } }
  body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
         max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.5rem; margin-bottom: .5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; color: var(--muted); font-size: .9rem; }
  dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
  article { border: 1px solid var(--border); border-radius: 8px; padding: .6rem .9rem; margin: .8rem 0; }
  article.user { background: var(--user); } article.assistant { background: var(--assistant); }
  article.tool { background: var(--tool); }
  header { display: flex; justify-content: space-between; gap: 1rem; font-size: .8rem; color: var(--muted); }
  header b { color: var(--fg); }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; }
  pre { overflow-x: auto; font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; margin: .4rem 0 0; }
  details summary { cursor: pointer; color: var(--muted); }
`;

function html(s: ExportSession, messages: ExportMessage[]): string {
  const title = escapeHtml(s.title ?? s.id);
  const meta = metaLines(s)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  const body = messages
    .map((m) => {
      const cls = m.role === 'tool' ? 'tool' : m.role === 'user' ? 'user' : 'assistant';
      const head = `<header><b>${escapeHtml(heading(m))}${m.sidechain ? ' (subagent)' : ''}</b><time datetime="${escapeHtml(m.timestamp)}">${escapeHtml(m.timestamp)}</time></header>`;
      let content: string;
      if (m.kind === 'tool_use') content = `<pre>${escapeHtml(prettyInput(m.input) || m.text)}</pre>`;
      else if (m.kind === 'thinking' || m.kind === 'summary') content = `<details><summary>show</summary><div class="text">${escapeHtml(m.text)}</div></details>`;
      else content = `<div class="text">${escapeHtml(m.text)}</div>`;
      return `<article class="${cls}">${head}${content}</article>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="CodePiper">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
<dl>${meta}</dl>
${body}
</body>
</html>
`;
}
