import { Box, Text } from 'ink';
import React from 'react';
import { clip, padEndTo, safe } from '../format';
import type { AppState, Policy } from '../state';
import { useColour } from '../theme';

const ACTION_COLOUR = { allow: 'green', deny: 'red', ask: 'yellow' } as const;

/** Policies, highest priority first as the engine reads them; space toggles one, enter shows its rules. */
export function PoliciesScreen({ state, height }: { state: AppState; height: number }): React.JSX.Element {
  const colour = useColour();
  const { list, selected, showRules, loaded } = state.policies;
  const width = state.size.columns;
  const policy = list[selected];
  const listHeight = showRules && policy ? Math.max(3, Math.min(list.length + 1, Math.floor(height / 2))) : height;
  const rows = Math.max(1, listHeight - 1);
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, list.length - rows));
  return (
    <Box flexDirection="column" height={height}>
      <Text dimColor wrap="truncate-end">{`  ON  ${'NAME'.padEnd(24)} ${'PRIO'.padStart(5)} ${'RULES'.padStart(5)}  SCOPE`}</Text>
      {!loaded ? <Text dimColor>  loading…</Text> : list.length === 0 ? <Text dimColor>  no policies: every request asks (codepiper policy create adds one)</Text> : null}
      {list.slice(first, first + rows).map((item, index) => {
        const isSelected = first + index === selected;
        return (
          <Text key={item.id} inverse={isSelected} wrap="truncate-end">
            {isSelected ? '› ' : '  '}
            <Text color={colour(item.enabled ? 'green' : 'gray')}>{item.enabled ? '[x]' : '[ ]'}</Text>
            {` ${padEndTo(clip(safe(item.name), 24), 24)} ${String(item.priority).padStart(5)} ${String(item.rules.length).padStart(5)}  ${item.sessionId ? `session ${safe(item.sessionId)}` : 'global'}`}
          </Text>
        );
      })}
      {showRules && policy ? <Rules policy={policy} width={width} height={height - listHeight} /> : null}
    </Box>
  );
}

function Rules({ policy, width, height }: { policy: Policy; width: number; height: number }): React.JSX.Element {
  const colour = useColour();
  const rows = Math.max(1, height - 1);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate-end">{`─ rules of ${safe(policy.name)}${policy.description ? `: ${safe(policy.description)}` : ''} `}</Text>
      {policy.rules.slice(0, rows).map((rule, index) => {
        const criteria = [
          rule.tool !== undefined ? `tool=${[rule.tool].flat().join('|')}` : '',
          ...Object.entries(rule.args ?? {}).map(([field, globs]) => `${field}=${[globs].flat().join('|')}`),
          rule.cwd !== undefined ? `cwd=${[rule.cwd].flat().join('|')}` : '',
          rule.matchAll ? 'everything' : '',
        ].filter(Boolean);
        return (
          <Text key={index} wrap="truncate-end">
            {`${String(index + 1).padStart(3)}. `}
            <Text color={colour(ACTION_COLOUR[rule.action])} bold>
              {rule.action.padEnd(5)}
            </Text>
            {clip(safe(` ${criteria.join(' ')}${rule.reason ? `  (${rule.reason})` : ''}`), Math.max(10, width - 11))}
          </Text>
        );
      })}
      {policy.rules.length > rows ? <Text dimColor>{`     … ${policy.rules.length - rows} more`}</Text> : null}
    </Box>
  );
}
