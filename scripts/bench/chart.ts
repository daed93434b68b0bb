import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * The burst's chart as SVG, rendered headless by Vega (no browser, no canvas): invoice syncs
 * completed over time, against the larger vendor bound drawn as the straight line a perfectly
 * paced run would follow (all `total` invoices at `boundSeconds`).
 */
export async function completionChartSvg(opts: {
  completions: number[];
  total: number;
  boundSeconds: number;
  title: string;
}): Promise<string> {
  const sorted = [...opts.completions].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(sorted.length / 400));
  const done = sorted
    .filter((_, i) => i % step === 0 || i === sorted.length - 1)
    .map((t) => ({ seconds: t, completed: sorted.filter((x) => x <= t).length, series: 'completed' }));
  const bound = [
    { seconds: 0, completed: 0, series: 'vendor bound' },
    { seconds: opts.boundSeconds, completed: opts.total, series: 'vendor bound' },
  ];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: 640,
    height: 320,
    data: { values: [{ seconds: 0, completed: 0, series: 'completed' }, ...done, ...bound] },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'seconds since the burst started' },
      y: { field: 'completed', type: 'quantitative', title: 'invoice syncs completed' },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        scale: {
          domain: ['completed', 'vendor bound'],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
        legend: null,
      },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
