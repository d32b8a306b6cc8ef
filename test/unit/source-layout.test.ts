import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOURCE_DIR = fileURLToPath(new URL('../../src', import.meta.url));
/** Directories kept free of import circles; type-only imports count, since they tie the modules' meaning together. */
const ACYCLIC = ['client', 'tui'];

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
  it(`form no circle that passes through src/${ACYCLIC.join(' or src/')}`, () => {
    const touching = circles(importGraph()).filter((circle) => circle.some((file) => ACYCLIC.some((dir) => file.startsWith(`${dir}/`))));
    expect(touching.map((circle) => circle.join(' → '))).toEqual([]);
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
