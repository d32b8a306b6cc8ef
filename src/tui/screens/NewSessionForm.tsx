import { Box, Text } from 'ink';
import React from 'react';
import { PROVIDER_CHOICES, type AppState, type FormField } from '../state';
import { useColour } from '../theme';
import { safe } from '../format';

const LABELS: Record<FormField, string> = { provider: 'provider', cwd: 'directory', name: 'name', args: 'args' };
const HINTS: Record<FormField, string> = {
  provider: '← → choose',
  cwd: 'tab completes',
  name: 'optional: letters, digits, . _ -',
  args: 'optional, split like a shell line (quotes kept together)',
};

/** The new-session form: the field being edited is marked and shows a cursor; the daemon's refusal shows in place. */
export function NewSessionForm({ state, height }: { state: AppState; height: number }): React.JSX.Element | null {
  const colour = useColour();
  if (state.overlay?.kind !== 'form') return null;
  const form = state.overlay.form;
  const fields: FormField[] = ['provider', 'cwd', 'name', 'args'];
  return (
    <Box flexDirection="column" height={height}>
      <Text inverse bold>{' new session · enter starts it, ↑ ↓ move between fields, esc cancels '}</Text>
      {fields.map((field) => {
        const active = form.field === field;
        const value =
          field === 'provider'
            ? PROVIDER_CHOICES.map((provider) => (provider === form.provider ? `[${provider}]` : ` ${provider} `)).join(' ')
            : safe(form[field]);
        return (
          <Box key={field} flexDirection="column" marginTop={1}>
            <Text wrap="truncate-start">
              <Text bold={active} color={active ? colour('cyan') : undefined}>
                {`${active ? '›' : ' '} ${LABELS[field].padEnd(10)}`}
              </Text>
              {value}
              {active && field !== 'provider' ? <Text inverse> </Text> : null}
            </Text>
            {active ? <Text dimColor>{`             ${HINTS[field]}`}</Text> : null}
            {active && field === 'cwd' && form.completions.length > 0 ? (
              <Text dimColor wrap="truncate-end">{`             ${safe(form.completions.slice(0, 8).join('  '))}${form.completions.length > 8 ? `  … ${form.completions.length - 8} more` : ''}`}</Text>
            ) : null}
          </Box>
        );
      })}
      {form.error ? (
        <Box marginTop={1}>
          <Text color={colour('red')} wrap="wrap">
            {safe(form.error)}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
