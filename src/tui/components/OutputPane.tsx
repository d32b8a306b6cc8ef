import { Box, Text } from 'ink';
import React from 'react';
import { displayWidth, safe, screenLine } from '../format';
import type { AppState, Session } from '../state';
import { STATE_LOOK, useColour, useTheme } from '../theme';

interface Props {
  session: Session | undefined;
  output: AppState['output'];
  width: number;
  height: number;
}

/**
 * The selected session's screen and scrollback, colours kept, newest at the bottom. Scrolled up, it stays where the
 * user put it and the title says how far back; f (or scrolling down to the end) follows new output again.
 */
export function OutputPane({ session, output, width, height }: Props): React.JSX.Element {
  const colour = useColour();
  const theme = useTheme();
  const rows = Math.max(1, height - 1);
  if (!session) {
    return (
      <Box height={height}>
        <Text dimColor>no session selected</Text>
      </Box>
    );
  }
  const lines = output.sessionId === session.id ? output.lines : [];
  const end = Math.max(0, lines.length - output.scroll);
  const visible = lines.slice(Math.max(0, end - rows), end);
  const look = STATE_LOOK[session.state];
  const where = output.scroll > 0 ? ` ↑ ${output.scroll} lines back (f follows) ` : '';
  const title = `─ ${safe(session.name ?? session.id)} · ${session.provider} · `;
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text dimColor>{title}</Text>
        <Text color={colour(look.colour)} bold={look.attention}>
          {look.label}
        </Text>
        <Text dimColor>{` ${where}${'─'.repeat(Math.max(0, width - displayWidth(title) - displayWidth(look.label) - displayWidth(where) - 1))}`}</Text>
      </Text>
      {visible.map((line, index) => (
        <Text key={index} wrap="truncate-end">
          {screenLine(line, theme.colour) || ' '}
        </Text>
      ))}
    </Box>
  );
}
