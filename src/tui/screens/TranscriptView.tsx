import { Box, Text } from 'ink';
import React from 'react';
import { formatWhen, safe } from '../format';
import type { AppState } from '../state';
import { useColour } from '../theme';

const ROLE_COLOUR: Record<string, string> = { user: 'cyan', assistant: 'green', tool: 'yellow' };

/** A conversation from the library, from the selected message on; each message wraps, the box cuts what does not fit. */
export function TranscriptView({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element | null {
  const colour = useColour();
  const overlay = state.overlay;
  if (overlay?.kind !== 'transcript') return null;
  const shown = overlay.messages.slice(overlay.scroll, overlay.scroll + height);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text inverse bold wrap="truncate-end">{` ${safe(overlay.title)} · message ${overlay.scroll + 1} of ${overlay.total} · j/k, pgup/pgdn, esc closes `}</Text>
      {overlay.loading ? <Text dimColor>loading the conversation…</Text> : null}
      {shown.map((message) => (
        <Box key={message.id} flexDirection="column" marginBottom={0}>
          <Text wrap="truncate-end">
            <Text color={colour(ROLE_COLOUR[message.role] ?? 'white')} bold>
              {safe(message.tool ? `${message.role} · ${message.tool}` : message.role)}
            </Text>
            <Text dimColor>{`  ${formatWhen(message.timestamp, now)}`}</Text>
          </Text>
          <Text wrap="wrap">{safe(message.text || message.input, true).trim().slice(0, 4000) || ' '}</Text>
        </Box>
      ))}
    </Box>
  );
}
