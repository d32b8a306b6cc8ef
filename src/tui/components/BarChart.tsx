import { Box, Text } from 'ink';
import React from 'react';
import { clip, displayWidth, formatBar, padEndTo } from '../format';
import { useColour } from '../theme';

export interface Bar {
  label: string;
  value: number;
  /** Printed after the bar: the value in its own unit, and anything else worth a glance. */
  caption: string;
}

/** Labelled horizontal bars scaled to the largest value, fitted to `width` columns. */
export function BarChart({ title, bars, width, colour: barColour = 'cyan' }: { title: string; bars: Bar[]; width: number; colour?: string }): React.JSX.Element {
  const colour = useColour();
  const labelWidth = Math.min(24, Math.max(4, ...bars.map((bar) => displayWidth(bar.label))));
  const captionWidth = Math.max(0, ...bars.map((bar) => displayWidth(bar.caption)));
  const barWidth = Math.max(4, width - labelWidth - captionWidth - 3);
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {bars.length === 0 ? <Text dimColor>nothing in this range</Text> : null}
      {bars.map((bar) => (
        <Text key={bar.label} wrap="truncate-end">
          {padEndTo(clip(bar.label, labelWidth), labelWidth)}{' '}
          <Text color={colour(barColour)}>{formatBar(bar.value, max, barWidth).padEnd(barWidth)}</Text> {bar.caption}
        </Text>
      ))}
    </Box>
  );
}
