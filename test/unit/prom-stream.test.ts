import { expect } from 'chai';
import { parsePromStream, parsePromText, type PromSample, type PromTextOptions } from '../../src/sources/prom-text.js';

const BODY = [
  '# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).',
  '# TYPE DCGM_FI_DEV_GPU_UTIL gauge',
  ...Array.from({ length: 2_500 }, (_, i) => `DCGM_FI_DEV_GPU_UTIL{gpu="${i % 8}",UUID="GPU-${i}",modelName="H100 ünï",pod="p${i}"} ${i % 101}`),
  'other_metric{a="b"} 1',
  'last_line_without_newline{pod="x\\"y"} 7 1754312405123',
].join('\r\n');

async function streamed(body: string, chunkBytes: number, options: PromTextOptions): Promise<PromSample[]> {
  const bytes = Buffer.from(body);
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  }
  const out: PromSample[] = [];
  await parsePromStream(chunks(), options, (s) => out.push(s));
  return out;
}

describe('parsePromStream', () => {
  it('parses exactly what parsePromText parses, whatever the chunk boundaries (mid-line, mid-character)', async () => {
    const want = parsePromText(BODY);
    for (const size of [1, 7, 64, 65_536]) expect(await streamed(BODY, size, {}), `chunks of ${size}`).to.deep.equal(want);
  });

  it('keeps only the asked-for names and labels', async () => {
    const got = await streamed(BODY, 1_000, { names: new Set(['DCGM_FI_DEV_GPU_UTIL']), labels: new Set(['UUID', 'pod']) });
    expect(got).to.have.length(2_500);
    expect(got[3]).to.deep.equal({ name: 'DCGM_FI_DEV_GPU_UTIL', labels: Object.assign(Object.create(null), { UUID: 'GPU-3', pod: 'p3' }), value: 3 });
  });

  it('rejects a malformed line with its line number', async () => {
    let error: unknown;
    await streamed('a 1\nb{x="1" 2\n', 3, {}).catch((err: unknown) => (error = err));
    expect(String(error)).to.contain('line 2');
  });
});
