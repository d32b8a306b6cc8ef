import { Box, Text } from 'ink';
import React from 'react';
import { countsByState, type AppState } from '../state';
import { STATE_LOOK, STATUS_ORDER, useColour } from '../theme';
import { clip, displayWidth, safe } from '../format';

/**
 * The last lines: what the user is typing (a prompt or a question) or the latest notice, and the status line with a
 * count per state. A lost daemon is said here too, with what to do about it.
 */
export function Bottom({ state }: { state: AppState }): React.JSX.Element {
  const colour = useColour();
  const width = state.size.columns;
  const overlay = state.overlay;
  let line: React.JSX.Element | null = null;
  if (overlay?.kind === 'prompt') {
    // The end of what is typed stays in sight: Ink cuts the start by display width (CJK and emoji count double).
    line = (
      <Box>
        <Text bold color={colour('cyan')}>
          {safe(overlay.label)}:{' '}
        </Text>
        <Box flexShrink={1}>
          <Text wrap="truncate-start">{safe(overlay.value)}</Text>
        </Box>
        <Text inverse> </Text>
      </Box>
    );
  } else if (overlay?.kind === 'confirm') {
    line = (
      <Text bold color={colour('red')}>
        {safe(overlay.message)}
      </Text>
    );
  } else if (state.connection.status === 'lost') {
    line = (
      <Text color={colour('red')} wrap="truncate-end">
        {clip(safe(`daemon not answering (${state.connection.message ?? 'gone'}); reconnecting, ctrl+r starts it`), width)}
      </Text>
    );
  } else if (state.notice) {
    line = (
      <Text color={colour(state.notice.kind === 'error' ? 'red' : state.notice.kind === 'alert' ? 'yellow' : 'green')} bold={state.notice.kind === 'alert'} inverse={state.notice.kind === 'alert'} wrap="truncate-end">
        {clip(safe(state.notice.text), width)}
      </Text>
    );
  }
  const counts = countsByState(state.sessions);
  const shown = STATUS_ORDER.filter((id) => counts[id]);
  const countsText = shown.map((id) => `${STATE_LOOK[id].symbol} ${counts[id]} ${STATE_LOOK[id].label}  `).join('');
  const countsWidth = state.sessions.length === 0 ? displayWidth(EMPTY) : displayWidth(countsText);
  // The key hint gives way first on a narrow line (shorter, then gone): the status line never wraps.
  const hint = (state.review ? REVIEW_HINTS : HINTS).find((text) => countsWidth + displayWidth(text) <= width) ?? '';
  return (
    <Box flexDirection="column">
      {line ?? <Text> </Text>}
      <Box justifyContent="space-between" height={1} overflow="hidden">
        <Text wrap="truncate-end">
          {shown.map((id) => {
            const look = STATE_LOOK[id];
            return (
              <React.Fragment key={id}>
                <Text color={colour(look.colour)} bold={look.attention} inverse={look.attention}>
                  {`${look.symbol} ${counts[id]} ${look.label}`}
                </Text>
                <Text>{'  '}</Text>
              </React.Fragment>
            );
          })}
          {state.sessions.length === 0 ? <Text dimColor>{EMPTY}</Text> : null}
        </Text>
        {hint ? <Text dimColor>{hint}</Text> : null}
      </Box>
    </Box>
  );
}

const EMPTY = 'no sessions yet: c starts one';
const HINTS = ['? help  q quit', '? help'];
/** In the diff view q goes back to the sessions; ctrl+c still quits. */
const REVIEW_HINTS = ['? help  q back', '? help'];
