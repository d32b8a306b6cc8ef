import { Command, InvalidArgumentError } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { clip, formatKeyValues, formatOutcome, formatTable, formatWhen } from '../../client/format';
import { paintDecision } from '../../client/colour';
import { paint, print, printJson } from '../output';
import { routeNumber, routeOption } from '../route-options';
import { examples, HELP_GROUPS } from '../help';

type Policy = RouteOutput<'policies.get'>;
type PolicySet = RouteOutput<'policySets.get'>;
type Decision = RouteOutput<'policyDecisions.list'>['decisions'][number];

/** `policy …`, `policy-set …` and `audit`. */
export function policyCommands(): Command[] {
  return [policyCommand(), policySetCommand(), auditCommand()].map((command) => command.helpGroup(HELP_GROUPS.policies));
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
  const policy = new Command('policy')
    .description('allow / deny / ask rules for what agents may do')
    .addHelpText('after', examples('codepiper policy list', `codepiper policy create --name no-rm --rules '[{"action":"deny","tool":"Bash","args":{"command":"*rm -rf*"}}]'`, 'codepiper policy toggle no-rm'));
  policy
    .command('list')
    .description('list policies, highest priority first')
    .addHelpText('after', examples('codepiper policy list', ["a session's own policies, as JSON", 'codepiper policy list --session app --json']))
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
    .addHelpText('after', examples('codepiper policy get no-rm', 'codepiper policy get no-rm --json'))
    .argument('<id>', 'policy id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const found = await commandContext(command).client().call('policies.get', { id: ref });
      if (options.json) return printJson(found);
      printPolicy(found);
    });
  withPolicyOptions(policy.command('create').description('create a policy'), 'policies.create')
    .addHelpText(
      'after',
      examples(
        ['never let Bash run rm -rf', `codepiper policy create --name no-rm --rules '[{"action":"deny","tool":"Bash","args":{"command":"*rm -rf*"},"reason":"no rm -rf"}]'`],
        ['let one session read files without asking', `codepiper policy create --name reads --session app --priority 10 --rules '[{"action":"allow","tool":"Read"}]'`],
      ),
    )
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
    .addHelpText('after', examples('codepiper policy update no-rm --priority 100', ['make a session policy apply to every session', 'codepiper policy update reads --global'], 'codepiper policy update no-rm --enabled no'))
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
    .addHelpText('after', examples('codepiper policy delete no-rm', 'codepiper policy delete 6c1e9a'))
    .argument('<id>', 'policy id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const deleted = await commandContext(command).client().call('policies.delete', { id: ref });
      print(`deleted ${deleted.id} ${deleted.name}`);
    });
  policy
    .command('toggle')
    .description('enable a disabled policy, or disable an enabled one')
    .addHelpText('after', examples('codepiper policy toggle no-rm', ['switch it on or off explicitly instead', 'codepiper policy update no-rm --enabled yes']))
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
    .option('--priority <n>', `higher is tried first (when created: ${routeNumber('policies.create', 'priority').default})`, routeOption(route, 'priority'))
    .option('--session <id>', "make it this session's own policy")
    .option('--enabled <yes|no>', 'whether it applies (when created: yes)', parseYesNo)
    .option('--json', 'print the policy as JSON');
}

function policySetCommand(): Command {
  const sets = new Command('policy-set')
    .description('named groups of policies, applied to sessions')
    .addHelpText('after', examples('codepiper policy-set list', 'codepiper policy-set create --name safe --policy no-rm --default', 'codepiper policy-set add-policy safe reads'));
  sets
    .command('list')
    .description('list policy sets')
    .addHelpText('after', examples('codepiper policy-set list', 'codepiper policy-set list --json'))
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
    .addHelpText('after', examples('codepiper policy-set get safe', 'codepiper policy-set get safe --json'))
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
    .addHelpText('after', examples(['a set every new session gets', 'codepiper policy-set create --name safe --policy no-rm --policy reads --default'], 'codepiper policy-set create --name review --description "read-only review"'))
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
    .addHelpText('after', examples('codepiper policy-set update safe --default no', 'codepiper policy-set update safe --name strict'))
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
    .addHelpText('after', examples('codepiper policy-set delete review', ['by id', 'codepiper policy-set delete 4e7d1c']))
    .argument('<id>', 'set id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const set = await commandContext(command).client().call('policySets.delete', { id: ref });
      print(`deleted ${set.id} ${set.name}`);
    });
  sets
    .command('add-policy')
    .description('add a policy to a set')
    .addHelpText('after', examples('codepiper policy-set add-policy safe no-rm', ['by ids', 'codepiper policy-set add-policy 4e7d1c 6c1e9a']))
    .argument('<set>', 'set id or name')
    .argument('<policy>', 'policy id or name')
    .action(async (setRef: string, policyRef: string, _options: unknown, command: Command) => {
      const set = await commandContext(command).client().call('policySets.addPolicy', { id: setRef, policyId: policyRef });
      print(`${set.name}: ${set.policyIds.length} policies`);
    });
  sets
    .command('remove-policy')
    .description('remove a policy from a set')
    .addHelpText('after', examples('codepiper policy-set remove-policy safe no-rm', ['by ids', 'codepiper policy-set remove-policy 4e7d1c 6c1e9a']))
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
    .description(
      'the latest policy decisions, one row per question: session, tool, arguments (secrets redacted), decision, policy, ' +
        'and the outcome: allowed or denied by policy, approved or denied by a person (via cli, tui, api, or in the agent), ' +
        "by the agent's own settings, timed out, or unanswered when the session ended",
    )
    .summary('the latest policy decisions, with their reasons')
    .addHelpText('after', examples('codepiper audit', ["one session's last 200 decisions", 'codepiper audit --session app --limit 200'], 'codepiper audit --csv > audit.csv'))
    .option('--session <id>', 'only this session')
    .option('--limit <n>', 'how many', routeOption('policyDecisions.list', 'limit'), 50)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .addHelpText(
      'after',
      `
OUTCOME says what became of each question, and --json/--csv carry it as outcome (allowed, denied, timed_out,
session_ended, pending), outcomeBy (policy, person, agent), outcomeVia (cli, tui, api, agent-ui) and outcomeAt:
  allowed/denied by policy            a rule (or the default deny) answered the agent's hook
  approved/denied via cli|tui|api     a person answered with codepiper approve/deny, the dashboard's y/n, or the API
  approved/denied in the agent        a person answered in the agent itself (after attach): the tool ran, or the
                                      turn ended without it
  allowed/denied by the agent's settings   no prompt was shown: the agent's own permission mode or rules decided
  timed out                           policy decided, but after the hook had stopped waiting
  unanswered: session ended           the session ended with the question open
  waiting                             nothing has told yet; — rows were recorded before outcomes were kept`,
    )
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
          { header: 'OUTCOME', value: (d) => formatOutcome(d) },
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
  const header = ['at', 'sessionId', 'event', 'tool', 'args', 'decision', 'policyId', 'policyName', 'ruleIndex', 'reason', 'outcome', 'outcomeBy', 'outcomeVia', 'outcomeAt'];
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
