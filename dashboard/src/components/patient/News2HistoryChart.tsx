import type { News2HistoryEntry } from '@wardline/protocol';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { news2Points, news2TimeAxis, type News2Point } from '../../lib/news2History.js';

/** NEWS2 as a step chart, with the chart's medium (5-6) and high (7+) bands shaded. */
export function News2HistoryChart({
  entries,
  height,
}: {
  entries: readonly News2HistoryEntry[];
  height: number;
}) {
  const now = Date.now();
  const points = news2Points(entries, now);
  const axis = news2TimeAxis(points, now);
  const top = Math.max(9, ...points.map((p) => p.score + 1));
  return (
    <ResponsiveContainer width="100%" height={height}>
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid stroke="#d8dde0" strokeDasharray="3 3" />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={axis.domain}
          ticks={axis.ticks}
          tickFormatter={axis.format}
          stroke="#4c6272"
          fontSize={12}
        />
        <YAxis domain={[0, top]} ticks={[0, 3, 5, 7]} stroke="#4c6272" fontSize={12} width={32} />
        <ReferenceArea y1={5} y2={7} fill="#ffb81c" fillOpacity={0.15} ifOverflow="hidden" />
        <ReferenceArea y1={7} y2={top} fill="#d5281b" fillOpacity={0.1} ifOverflow="hidden" />
        <Line
          type="stepAfter"
          dataKey="score"
          stroke="#005eb8"
          strokeWidth={2}
          dot={points.length < 60}
          isAnimationActive={false}
        />
        <Tooltip
          labelFormatter={(t) => new Date(Number(t)).toLocaleString('en-GB')}
          formatter={(value, _name, item) => [
            `${String(value)}${(item.payload as News2Point).partial ? ' (partial)' : ''}`,
            'NEWS2',
          ]}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
