import { Box, Text } from 'ink';
import React from 'react';
import { clip, displayWidth, formatWhen, padEndTo, safe, shortPath } from '../format';
import type { AppState } from '../state';
import { useColour } from '../theme';

/** A snippet with the daemon's <mark> highlights drawn bold and inverse; text the agent wrote cannot steer the terminal. */
export function Marked({ text, width }: { text: string; width: number }): React.JSX.Element {
  const parts = safe(text).replace(/\s+/g, ' ').split(/(<mark>.*?<\/mark>)/);
  let room = width;
  const shown: React.JSX.Element[] = [];
  parts.forEach((part, index) => {
    if (room <= 0 || part === '') return;
    const marked = part.startsWith('<mark>');
    const plain = clip(marked ? part.slice(6, -7) : part, room);
    room -= displayWidth(plain);
    shown.push(
      <Text key={index} bold={marked} inverse={marked}>
        {plain}
      </Text>,
    );
  });
  return <Text wrap="truncate-end">{shown}</Text>;
}

/** The query, how many messages match, and the hits newest first: two lines each (where and when, then the snippet). */
export function SearchScreen({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element {
  const colour = useColour();
  const { query, hits, total, totalExact, selected, loading, error } = state.search;
  const width = state.size.columns;
  const rows = Math.max(1, Math.floor((height - 2) / 2));
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, hits.length - rows));
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>{query ? `“${safe(query)}”` : 'search'}</Text>
        <Text dimColor>
          {loading ? '  searching…' : query && !error ? `  ${total}${totalExact ? '' : '+'} matching messages, ${hits.length} shown` : ''}
          {'  / types a query, enter opens the conversation'}
        </Text>
      </Text>
      {error ? <Text color={colour('red')} wrap="truncate-end">{safe(error)}</Text> : null}
      {!query ? <Text dimColor>press / and type words, "a phrase", prefix*, or AND / OR / NOT</Text> : null}
      {hits.slice(first, first + rows).map((hit, index) => {
        const isSelected = first + index === selected;
        return (
          <Box key={`${hit.sessionId}:${hit.messageId}`} flexDirection="column">
            <Text inverse={isSelected} wrap="truncate-end">
              {`${isSelected ? '›' : ' '} ${padEndTo(formatWhen(hit.timestamp, now), 16)} ${padEndTo(clip(safe(hit.tool ?? hit.role), 9), 9)} ${clip(safe(hit.title ?? hit.sessionId), 30)}  `}
              <Text dimColor>{shortPath(safe(hit.cwd), Math.max(8, width - 64))}</Text>
            </Text>
            <Box paddingLeft={2}>
              <Marked text={hit.snippet} width={width - 2} />
            </Box>
          </Box>
        );
      })}
    </Box>
  );
}
