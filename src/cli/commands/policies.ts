import { Command, InvalidArgumentError } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { clip, formatKeyValues, formatTable, formatWhen } from '../../client/format';
import { paintDecision } from '../../client/colour';
import { paint, print, printJson } from '../output';
import { routeNumber, routeOption } from '../route-options';

type Policy = RouteOutput<'policies.get'>;
type PolicySet = RouteOutput<'policySets.get'>;
type Decision = RouteOutput<'policyDecisions.list'>['decisions'][number];

/** `policy …`, `policy-set …` and `audit`. */
export function policyCommands(): Command[] {
  return [policyCommand(), policySetCommand(), auditCommand()];
}

interface PolicyOptions {
  name?: string;
  description?: string;
  rules?: unknown[];
  priority?: number;
  session?: string;
  enabled?: boolean;
  json?: boolean;
}

function policyCommand(): Command {
  const policy = new Command('policy').description('allow / deny / ask rules for what agents may do');
  policy
    .command('list')
    .description('list policies, highest priority first')
    .option('--session <id>', "only this session's own policies")
    .option('--json', 'print JSON')
    .action(async (options: { session?: string; json?: boolean }, command: Command) => {
      const { policies } = await commandContext(command).client().call('policies.list', options.session ? { sessionId: options.session } : {});
      if (options.json) return printJson(policies);
      if (policies.length === 0) return print('no policies (create one with: codepiper policy create --name <name> --rules <json>)');
      print(
        formatTable(policies, [
          { header: 'ID', value: (p) => p.id },
          { header: 'NAME', value: (p) => p.name },
          { header: 'ENABLED', value: (p) => (p.enabled ? 'yes' : 'no') },
          { header: 'PRIORITY', value: (p) => String(p.priority), align: 'right' },
          { header: 'SCOPE', value: (p) => (p.sessionId ? `session ${p.sessionId}` : 'global') },
          { header: 'RULES', value: (p) => String(p.rules.length), align: 'right' },
        ]),
      );
    });
  policy
    .command('get')
    .description('show a policy and its rules')
    .argument('<id>', 'policy id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const found = await commandContext(command).client().call('policies.get', { id: ref });
      if (options.json) return printJson(found);
      printPolicy(found);
    });
  withPolicyOptions(policy.command('create').description('create a policy'), 'policies.create')
    .action(async (options: PolicyOptions, command: Command) => {
      if (!options.name) throw new AppError('USAGE', 'a policy needs --name');
      if (!options.rules) throw new AppError('USAGE', 'a policy needs --rules (a JSON array of rules)');
      const created = await commandContext(command)
        .client()
        .call('policies.create', {
          name: options.name,
          rules: options.rules as never,
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
          ...(options.enabled !== undefined ? { enabled: options.enabled } : {}),
          ...(options.session ? { sessionId: options.session } : {}),
        });
      if (options.json) printJson(created);
      else print(created.id);
    });
  withPolicyOptions(policy.command('update').description('change a policy (only the options given)').argument('<id>', 'policy id or name'), 'policies.update')
    .option('--global', 'make a session policy global')
    .action(async (ref: string, options: PolicyOptions & { global?: boolean }, command: Command) => {
      const updated = await commandContext(command)
        .client()
        .call('policies.update', {
          id: ref,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.rules !== undefined ? { rules: options.rules as never } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
          ...(options.enabled !== undefined ? { enabled: options.enabled } : {}),
          ...(options.session !== undefined ? { sessionId: options.session } : {}),
          ...(options.global ? { sessionId: null } : {}),
        });
      if (options.json) printJson(updated);
      else printPolicy(updated);
    });
  policy
    .command('delete')
    .description('delete a policy (its audit rows stay)')
    .argument('<id>', 'policy id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const deleted = await commandContext(command).client().call('policies.delete', { id: ref });
      print(`deleted ${deleted.id} ${deleted.name}`);
    });
  policy
    .command('toggle')
    .description('enable a disabled policy, or disable an enabled one')
    .argument('<id>', 'policy id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = commandContext(command).client();
      const current = await client.call('policies.get', { id: ref });
      const updated = await client.call('policies.update', { id: current.id, enabled: !current.enabled });
      print(`${updated.name} ${updated.enabled ? 'enabled' : 'disabled'}`);
    });
  return policy;
}

function withPolicyOptions(command: Command, route: 'policies.create' | 'policies.update'): Command {
  return command
    .option('--name <name>', 'a unique name')
    .option('--description <text>', 'what the policy is for')
    .option('--rules <json>', 'the rules, a JSON array: [{"action":"deny","tool":"Bash","args":{"command":"*rm -rf*"},"reason":"..."}]', parseRules)
    .option('--priority <n>', `higher is tried first (default ${routeNumber('policies.create', 'priority').default})`, routeOption(route, 'priority'))
    .option('--session <id>', "make it this session's own policy")
    .option('--enabled <yes|no>', 'whether it applies (default yes)', parseYesNo)
    .option('--json', 'print the policy as JSON');
}

function policySetCommand(): Command {
  const sets = new Command('policy-set').description('named groups of policies, applied to sessions');
  sets
    .command('list')
    .description('list policy sets')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { policySets } = await commandContext(command).client().call('policySets.list');
      if (options.json) return printJson(policySets);
      if (policySets.length === 0) return print('no policy sets');
      print(
        formatTable(policySets, [
          { header: 'ID', value: (s) => s.id },
          { header: 'NAME', value: (s) => s.name },
          { header: 'DEFAULT', value: (s) => (s.isDefault ? 'yes' : '') },
          { header: 'POLICIES', value: (s) => String(s.policyIds.length), align: 'right' },
        ]),
      );
    });
  sets
    .command('get')
    .description('show a policy set')
    .argument('<id>', 'set id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const set = await commandContext(command).client().call('policySets.get', { id: ref });
      if (options.json) return printJson(set);
      printSet(set);
    });
  sets
    .command('create')
    .description('create a policy set')
    .requiredOption('--name <name>', 'a unique name')
    .option('--description <text>', 'what the set is for')
    .option('--policy <id>', 'a policy to include (repeatable)', collect, [] as string[])
    .option('--default', 'apply it to every new session (at most one set is the default)')
    .option('--json', 'print the set as JSON')
    .action(async (options: { name: string; description?: string; policy: string[]; default?: boolean; json?: boolean }, command: Command) => {
      const set = await commandContext(command)
        .client()
        .call('policySets.create', {
          name: options.name,
          policyIds: options.policy,
          isDefault: Boolean(options.default),
          ...(options.description !== undefined ? { description: options.description } : {}),
        });
      if (options.json) printJson(set);
      else print(set.id);
    });
  sets
    .command('update')
    .description('change a policy set (only the options given)')
    .argument('<id>', 'set id or name')
    .option('--name <name>', 'a new name')
    .option('--description <text>', 'what the set is for')
    .option('--default <yes|no>', 'whether it applies to every new session', parseYesNo)
    .option('--json', 'print the set as JSON')
    .action(async (ref: string, options: { name?: string; description?: string; default?: boolean; json?: boolean }, command: Command) => {
      const set = await commandContext(command)
        .client()
        .call('policySets.update', {
          id: ref,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.default !== undefined ? { isDefault: options.default } : {}),
        });
      if (options.json) printJson(set);
      else printSet(set);
    });
  sets
    .command('delete')
    .description('delete a policy set (its policies stay)')
    .argument('<id>', 'set id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const set = await commandContext(command).client().call('policySets.delete', { id: ref });
      print(`deleted ${set.id} ${set.name}`);
    });
  sets
    .command('add-policy')
    .description('add a policy to a set')
    .argument('<set>', 'set id or name')
    .argument('<policy>', 'policy id or name')
    .action(async (setRef: string, policyRef: string, _options: unknown, command: Command) => {
      const set = await commandContext(command).client().call('policySets.addPolicy', { id: setRef, policyId: policyRef });
      print(`${set.name}: ${set.policyIds.length} policies`);
    });
  sets
    .command('remove-policy')
    .description('remove a policy from a set')
    .argument('<set>', 'set id or name')
    .argument('<policy>', 'policy id or name')
    .action(async (setRef: string, policyRef: string, _options: unknown, command: Command) => {
      const set = await commandContext(command).client().call('policySets.removePolicy', { id: setRef, policyId: policyRef });
      print(`${set.name}: ${set.policyIds.length} policies`);
    });
  return sets;
}

function auditCommand(): Command {
  return new Command('audit')
    .description('the latest policy decisions: session, tool, arguments (secrets redacted), decision, policy and reason')
    .option('--session <id>', 'only this session')
    .option('--limit <n>', 'how many (default 50)', routeOption('policyDecisions.list', 'limit'), 50)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (options: { session?: string; limit: number; json?: boolean; csv?: boolean }, command: Command) => {
      const { decisions } = await commandContext(command)
        .client()
        .call('policyDecisions.list', { limit: options.limit, ...(options.session ? { sessionId: options.session } : {}) });
      if (options.json) return printJson(decisions);
      if (options.csv) return print(toCsv(decisions));
      if (decisions.length === 0) return print('no decisions yet');
      print(
        formatTable(decisions, [
          { header: 'TIME', value: (d) => formatWhen(d.at) },
          { header: 'SESSION', value: (d) => d.sessionId ?? '-' },
          { header: 'EVENT', value: (d) => d.event },
          { header: 'TOOL', value: (d) => d.tool },
          { header: 'DECISION', value: (d) => paintDecision(paint(), d.decision) },
          { header: 'POLICY', value: (d) => d.policyName ?? '(default)' },
          { header: 'ARGS', value: (d) => clip(JSON.stringify(d.args), 60) },
        ]),
      );
    });
}

function printPolicy(policy: Policy): void {
  print(
    formatKeyValues([
      ['id', policy.id],
      ['name', policy.name],
      ['enabled', policy.enabled ? 'yes' : 'no'],
      ['priority', String(policy.priority)],
      ['scope', policy.sessionId ? `session ${policy.sessionId}` : 'global'],
      ...(policy.description ? [['description', policy.description] as const] : []),
    ]),
  );
  policy.rules.forEach((rule, i) => {
    const criteria = [rule.tool && `tool ${JSON.stringify(rule.tool)}`, rule.args && `args ${JSON.stringify(rule.args)}`, rule.cwd && `cwd ${JSON.stringify(rule.cwd)}`, rule.matchAll && 'everything']
      .filter(Boolean)
      .join(', ');
    print(`  ${i + 1}. ${rule.action} ${criteria}${rule.reason ? ` — ${rule.reason}` : ''}`);
  });
}

function printSet(set: PolicySet): void {
  print(
    formatKeyValues([
      ['id', set.id],
      ['name', set.name],
      ['default', set.isDefault ? 'yes' : 'no'],
      ['policies', set.policyIds.join(', ') || '(none)'],
      ...(set.description ? [['description', set.description] as const] : []),
    ]),
  );
}

function toCsv(decisions: Decision[]): string {
  const cell = (value: unknown) => {
    let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    // A cell an agent controls must not start a spreadsheet formula.
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = ['at', 'sessionId', 'event', 'tool', 'args', 'decision', 'policyId', 'policyName', 'ruleIndex', 'reason'];
  return [header.join(','), ...decisions.map((d) => header.map((key) => cell(d[key as keyof Decision])).join(','))].join('\n');
}

function parseRules(value: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON array of rules');
  return parsed;
}

function parseYesNo(value: string): boolean {
  if (/^(yes|true|on|1)$/i.test(value)) return true;
  if (/^(no|false|off|0)$/i.test(value)) return false;
  throw new InvalidArgumentError(`expected yes or no, got "${value}"`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
