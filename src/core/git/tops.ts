import fs from 'node:fs';
import path from 'node:path';
import { gitAt } from './simple';

/**
 * The top of the work tree a directory is in (`git rev-parse --show-toplevel`, as a real path), remembered per
 * directory so a review request runs one git command, not two; checked to still hold a repository on each use.
 */
export class WorktreeTops {
  private readonly tops = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** undefined when `dir` is in no work tree (or does not exist, or is inside a bare repository). */
  async topOf(dir: string): Promise<string | undefined> {
    const cached = this.tops.get(dir);
    if (cached && fs.existsSync(path.join(cached, '.git'))) return cached;
    this.tops.delete(dir);
    if (!fs.existsSync(dir)) return undefined;
    try {
      const out = (await gitAt(dir, this.env, { readOnly: true }).raw(['rev-parse', '--show-toplevel'])).trim();
      if (!out) return undefined;
      const top = fs.realpathSync(out);
      this.tops.set(dir, top);
      return top;
    } catch {
      return undefined;
    }
  }
}
