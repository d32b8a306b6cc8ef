import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOURCE_DIR = fileURLToPath(new URL('../../src', import.meta.url));
/**
 * What each part of src may not import: core is the domain (no transport, no screen), the client serves the CLI and
 * the dashboard alike, the dashboard is a client of the daemon and not of the CLI.
 */
const FORBIDDEN_IMPORTS: Record<string, string[]> = {
  core: ['client', 'daemon', 'cli', 'tui', 'hook'],
  client: ['daemon', 'cli', 'tui'],
  tui: ['daemon', 'cli'],
};

/** Relative imports and re-exports of every module under src, resolved to files: the edges of the import graph. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of fs.readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' })) {
    if (!/\.tsx?$/.test(file)) continue;
    const source = fs.readFileSync(path.join(SOURCE_DIR, file), 'utf8');
    const targets = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)]
      .map((match) => resolve(path.dirname(file), (match[1] ?? match[2])!))
      .filter((target): target is string => target !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** tmux commands, its target flag and its pane ids: the vocabulary only core/runner/tmux speaks. */
const TMUX_WORDS = [/\b(?:send-keys|capture-pane|list-panes|new-session|respawn-pane|kill-window|link-window|unlink-window|display-message|resize-window|detach-client|refresh-client)\b/, /['"]-t['"]/, /%\d+|%pane/, /\bnew Tmux\b|\bControlClient\b/];

function resolve(fromDir: string, specifier: string): string | undefined {
  const base = path.join(fromDir, specifier);
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base].find((candidate) => fs.existsSync(path.join(SOURCE_DIR, candidate)) && /\.tsx?$/.test(candidate));
}

/**
 * The circles a depth-first walk meets, each as the path from a module back to itself: at least one in every tangle
 * of modules that import each other, which is enough to say whether there is any.
 */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string) => {
    const onStack = stack.indexOf(file);
    if (onStack >= 0) return void found.push([...stack.slice(onStack), file]);
    if (done.has(file)) return;
    stack.push(file);
    for (const target of graph.get(file) ?? []) visit(target);
    stack.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return found;
}

describe('imports', () => {
  it('form no circle anywhere under src (type-only imports count: they tie the modules together too)', () => {
    expect(circles(importGraph()).map((circle) => circle.join(' → '))).toEqual([]);
  });

  it('keep the layers apart: core knows no transport or screen, the dashboard and the client know no CLI', () => {
    const crossings: string[] = [];
    for (const [file, targets] of importGraph()) {
      const forbidden = FORBIDDEN_IMPORTS[file.split('/')[0]!] ?? [];
      for (const target of targets) if (forbidden.includes(target.split('/')[0]!)) crossings.push(`${file} → ${target}`);
    }
    expect(crossings).toEqual([]);
  });

  it('leave tmux to the runner: no tmux command is built in the session engine or the daemon', () => {
    const speaking: string[] = [];
    for (const file of importGraph().keys()) {
      if (!/^(core\/sessions|daemon)\//.test(file)) continue;
      const source = fs.readFileSync(path.join(SOURCE_DIR, file), 'utf8');
      for (const word of TMUX_WORDS) if (word.test(source)) speaking.push(`${file}: ${word.source}`);
    }
    expect(speaking).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    const graph = new Map([
      ['tui/a.ts', ['tui/b.ts']],
      ['tui/b.ts', ['tui/c.ts']],
      ['tui/c.ts', ['tui/a.ts']],
      ['tui/d.ts', ['tui/a.ts']],
    ]);
    expect(circles(graph)).toEqual([['tui/a.ts', 'tui/b.ts', 'tui/c.ts', 'tui/a.ts']]);
  });
});
