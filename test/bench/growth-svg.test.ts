import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compact, niceCeiling, renderGrowthSvg, type GrowthPanel } from '../../bench/growth/growth-svg.js';

const panel: GrowthPanel = {
  title: 'Calls in flight',
  xLabel: 'calls in flight',
  yLabel: 'calls/s',
  lines: [
    { name: 'picom-plain', points: [{ x: 1, y: 5_000 }, { x: 100, y: 60_000 }, { x: 10_000, y: 70_000 }, { x: 100_000, y: 40_000 }] },
    { name: 'raw <fast>', points: [{ x: 1, y: 4_000 }, { x: 100, y: NaN }, { x: 10_000, y: 30_000 }] },
  ],
};

function polylines(svg: string): string[][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' '));
}

describe('renderGrowthSvg', () => {
  it('draws one polyline per line with one vertex per finite point, and leaves failed points out', () => {
    const lines = polylines(renderGrowthSvg([panel], 'Growth'));
    assert.deepEqual(
      lines.map((l) => l.length),
      [4, 2],
    );
  });

  it('marks every drawn point, so that a line of one point shows', () => {
    const svg = renderGrowthSvg([{ ...panel, lines: [{ name: 'one', points: [{ x: 10_000, y: 600 }] }] }], 'Growth');
    assert.equal([...svg.matchAll(/<circle /g)].length, 1);
  });

  it('puts x on a log scale: equal ratios take equal distances', () => {
    const [vertices] = polylines(renderGrowthSvg([panel], 'Growth'));
    const xs = vertices!.map((v) => Number(v.split(',')[0]));
    // 1 → 100 and 100 → 10 000 are both two decades.
    assert.ok(Math.abs(xs[1]! - xs[0]! - (xs[2]! - xs[1]!)) < 0.5, `uneven decades: ${xs.join(' ')}`);
  });

  it('labels the axes, the decades and the legend, with text escaped', () => {
    const svg = renderGrowthSvg([panel], 'Growth & cost');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const label of ['Growth &amp; cost', 'Calls in flight', 'calls in flight (log scale)', 'calls/s', 'raw &lt;fast&gt;', '>1<', '>100<', '>10k<', '>100k<', '>75k<']) {
      assert.ok(svg.includes(label), `missing ${label}`);
    }
    assert.ok(!svg.includes('<fast>'));
  });

  it('lays panels out in a grid of two columns, 880 px wide', () => {
    const svg = renderGrowthSvg([panel, panel, panel], 'Growth');
    assert.match(svg, /width="880" height="528"/);
    assert.equal(polylines(svg).length, 6);
  });
});

describe('growth SVG helpers', () => {
  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    assert.deepEqual([0, 0.3, 7, 70_001, 150_000].map(niceCeiling), [1, 0.5, 10, 100_000, 200_000]);
  });

  it('writes tick labels with k, M and G', () => {
    assert.deepEqual([0, 2.5, 100, 1_500, 1_000_000, 2e9].map(compact), ['0', '2.5', '100', '1.5k', '1M', '2G']);
  });
});
