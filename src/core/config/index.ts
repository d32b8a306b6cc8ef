import fs from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors';

/**
 * The user's configuration file ($CODEPIPER_HOME/config.json, or CODEPIPER_CONFIG). Optional; environment variables
 * win over it. Unknown keys are refused so that a typo is reported instead of silently ignored.
 */
const providerSettings = z.strictObject({ binary: z.string().min(1).optional() });

export const configSchema = z.strictObject({
  providers: z
    .strictObject({
      'claude-code': providerSettings.optional(),
      codex: providerSettings.optional(),
    })
    .optional(),
  tmux: z.strictObject({ binary: z.string().min(1).optional() }).optional(),
  transcripts: z
    .strictObject({
      claude: z.array(z.string().min(1)).optional().describe('Claude config dirs whose projects/ is indexed (default: CLAUDE_CONFIG_DIR, else ~/.claude and ~/.config/claude)'),
      codex: z.array(z.string().min(1)).optional().describe('Codex homes whose sessions/ is indexed (default: CODEX_HOME, else ~/.codex)'),
      scanOnStart: z.boolean().optional().describe('scan every transcript in the background when the daemon starts (default true)'),
    })
    .optional(),
  policies: z
    .strictObject({
      defaultAction: z.enum(['ask', 'deny']).optional().describe('what happens when no rule matches; never allow'),
    })
    .optional(),
});

export type CodepiperConfig = z.infer<typeof configSchema>;

export function loadConfig(file: string): CodepiperConfig {
  return loadJsonFile(file, configSchema, 'config file') ?? {};
}

/**
 * A JSON file the user writes (configuration, prices), checked against its schema: undefined when it does not exist,
 * else its value, or CONFIG_INVALID naming the file and the first field that is wrong.
 */
export function loadJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('CONFIG_INVALID', `cannot read ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `${what} ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new AppError('CONFIG_INVALID', `${what} ${file}: ${where}: ${issue.message}`, {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}
