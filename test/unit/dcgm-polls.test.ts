import { expect } from 'chai';
import { DCGM_FAMILIES, DcgmSeries, dcgmLabelsRead, dcgmPoints, type DcgmLabelNames } from '../../src/sources/dcgm-points.js';
import { LabelSets } from '../../src/sources/label-sets.js';
import { parsePromStream, parsePromText, type PromTextOptions } from '../../src/sources/prom-text.js';
import type { MetricPoint } from '../../src/store/types.js';

/**
 * A DCGM source keeps label objects (LabelSets) and series (DcgmSeries) from poll to poll.
 * Whatever it reuses, each poll's points must be exactly those of a fresh parse of that body.
 */
const NAMES: DcgmLabelNames = { pod: 'pod', namespace: 'namespace', container: 'container', node: ['Hostname', 'hostname'] };

function line(metric: string, gpu: number, pod: string, value: number, extra = ''): string {
  return `${metric}{gpu="${gpu}",UUID="GPU-${gpu}",modelName="H100",Hostname="node-a",container="c",namespace="ns",pod="${pod}"${extra}} ${value}`;
}

/** Stateful like DcgmSource.poll: one LabelSets and one DcgmSeries for every body. */
function poller() {
  const labelSets = new LabelSets();
  const series = new DcgmSeries(NAMES);
  const options: PromTextOptions = { names: DCGM_FAMILIES, labels: dcgmLabelsRead(NAMES), labelSets };
  return async (body: string, scrapeMs: number): Promise<MetricPoint[]> => {
    labelSets.nextPoll();
    series.startPoll();
    async function* chunks() {
      yield Buffer.from(body);
    }
    await parsePromStream(chunks(), options, (s) => series.add(s));
    return series.pointsInTurns(scrapeMs);
  };
}

function fresh(body: string, scrapeMs: number): MetricPoint[] {
  return dcgmPoints(parsePromText(body, { names: DCGM_FAMILIES }), NAMES, scrapeMs);
}

describe('DCGM points across polls (shared labels and series)', () => {
  it('gives each poll exactly the points of a fresh parse of its body', async () => {
    const poll = poller();
    const bodies = [
      // Two GPUs with utilisation and memory.
      [line('DCGM_FI_DEV_GPU_UTIL', 0, 'p0', 10), line('DCGM_FI_DEV_GPU_UTIL', 1, 'p1', 20),
        line('DCGM_FI_DEV_FB_USED', 0, 'p0', 10), line('DCGM_FI_DEV_FB_FREE', 0, 'p0', 30)].join('\n'),
      // GPU 0 lost its memory families (no memory point may linger), GPU 1 is gone, GPU 2 is new.
      [line('DCGM_FI_DEV_GPU_UTIL', 0, 'p0', 11), line('DCGM_FI_DEV_GPU_UTIL', 2, 'p2', 30)].join('\n'),
      // GPU 0 moved to another pod (same UUID, new label text); GR_ENGINE appears and wins.
      [line('DCGM_FI_DEV_GPU_UTIL', 0, 'p9', 12), line('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0, 'p9', 0.5),
        line('DCGM_FI_DEV_GPU_UTIL', 2, 'p2', 31)].join('\n'),
      // Same series under two label texts (an extra label the mapping ignores): one entity, as in a fresh parse.
      [line('DCGM_FI_DEV_GPU_UTIL', 2, 'p2', 40), line('DCGM_FI_DEV_FB_USED', 2, 'p2', 1, ',extra="x"'),
        line('DCGM_FI_DEV_FB_FREE', 2, 'p2', 3)].join('\n'),
      // Back to the first body.
      [line('DCGM_FI_DEV_GPU_UTIL', 0, 'p0', 10), line('DCGM_FI_DEV_GPU_UTIL', 1, 'p1', 20),
        line('DCGM_FI_DEV_FB_USED', 0, 'p0', 10), line('DCGM_FI_DEV_FB_FREE', 0, 'p0', 30)].join('\n'),
    ];
    for (const [i, body] of bodies.entries()) {
      const at = 1_000 * (i + 1);
      expect(JSON.parse(JSON.stringify(await poll(body, at))), `poll ${i + 1}`).to.deep.equal(JSON.parse(JSON.stringify(fresh(body, at))));
    }
  });

  it('parses label text it has seen before to the same labels, and still rejects bad lines', async () => {
    const labelSets = new LabelSets();
    const body = ['m{a="x}",b="2"} 1', 'n{a="x}",b="2"} 2 1754312405123', 'm{__proto__="p",toString="t"} 3'].join('\n');
    for (let i = 0; i < 2; i++) {
      labelSets.nextPoll();
      const got = parsePromText(body, { labelSets });
      expect(JSON.parse(JSON.stringify(got))).to.deep.equal(JSON.parse(JSON.stringify(parsePromText(body))));
      expect(got[0]?.labels).to.equal(got[1]?.labels); // one shared object per label text
      expect(Object.keys(got[2]?.labels ?? {})).to.deep.equal(['__proto__', 'toString']);
      expect('hasOwnProperty' in (got[2]?.labels ?? {})).to.equal(false);
    }
    expect(() => parsePromText('m{a="x}",b="2"} 1}', { labelSets })).to.throw(/line 1/);
    expect(() => parsePromText('m{a="x}",b="2"} oops', { labelSets })).to.throw(/invalid value/);
  });

  it('forgets label text not seen for a whole poll', () => {
    const labelSets = new LabelSets();
    labelSets.nextPoll();
    parsePromText('m{a="1"} 1\nm{a="2"} 1', { labelSets });
    labelSets.nextPoll();
    parsePromText('m{a="1"} 1', { labelSets });
    labelSets.nextPoll();
    expect(labelSets.size).to.equal(1);
  });
});
