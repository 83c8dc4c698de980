import { expect } from 'chai';
import { psnr } from '../../bench/quality.js';
import {
  renderComparison,
  renderJson,
  renderMarkdown,
  renderText,
  type BenchResult,
  type ColdStartResult,
} from '../../bench/report.js';
import { result, side } from './sample-result.js';

describe('bench report', () => {
  it('prints one JSON object on one line with the documented fields', () => {
    const text = renderJson(result);
    expect(text.trimEnd().split('\n')).to.have.length(1);
    const parsed = JSON.parse(text) as {
      coldStartMs: number;
      cases: { name: string; ours: { medianMs: number; peakRssMb: number }; ratio: number }[];
    };
    expect(parsed.coldStartMs).to.equal(812.35);
    expect(parsed.cases[0]).to.include({ name: 'jpeg-12mp', ratio: 5 });
    expect(parsed.cases[0]?.ours).to.include({ medianMs: 300, peakRssMb: 200 });
  });

  it('shows the figures, the stage sum and which targets were met', () => {
    const text = renderText(result);
    expect(text).to.match(/jpeg-12mp\s+4000×3000.*300\s+60\.0\s+5\.00×\s+200\s+100\s+2\.00×/);
    expect(text).to.match(/jpeg-12mp\s+250\s+30\.0\s+20\.0\s+300/);
    expect(text).to.include('issue 2 (≤ 6× time, ≤ 2.5× RSS): jpeg-12mp time met, RSS met');
    expect(text).to.include(
      'issue 6 (≤ 2.5× time, ≤ 1.5× RSS, ≤ 1 dB lost): jpeg-12mp time missed, RSS missed, quality not measured',
    );
  });

  it('reports the encode time and size of an 800x600 rendition in each format', () => {
    const text = renderText(result);
    expect(text).to.include('encode of one 800×600 photo-like rendition per format');
    expect(text).to.match(/^jpeg\s+21\.5\s+800×600\s+176 KB$/m);
    expect(text).to.match(/^webp\s+95\.0\s+800×600\s+134 KB$/m);
    expect(text).to.match(/^avif\s+640\s+800×600\s+159 KB$/m);
    const parsed = JSON.parse(renderJson(result)) as { encodes: { format: string }[] };
    expect(parsed.encodes.map((encode) => encode.format)).to.deep.equal(['jpeg', 'webp', 'avif']);
  });

  it('says which format failed to encode, and leaves the table out when not measured', () => {
    const failed = renderText({
      ...result,
      encodes: [{ format: 'avif', error: 'encode as avif failed (exit code 1)' }],
    });
    expect(failed).to.match(/^avif\s+failed\s+—\s+encode as avif failed \(exit code 1\)$/m);
    expect(renderText({ ...result, encodes: null })).to.not.include('encode of one');
  });

  it('scores quality against the full-size decode path and judges the loss', () => {
    const scored = (lossDb: number): BenchResult => ({
      ...result,
      cases: result.cases.map((c) => ({
        ...c,
        fidelity: { oursDb: 35 - lossDb, fullSizeDb: 35, sharpDb: 33.5, lossDb },
      })),
    });
    const within = renderText(scored(0.4));
    expect(within).to.match(/jpeg-12mp\s+34\.60\s+35\.00\s+0\.40\s+33\.50/);
    expect(within).to.include('quality met (0.40 dB lost)');
    expect(renderText(scored(1.6))).to.include('quality missed (1.60 dB lost)');
  });

  it('renders the same figures as Markdown tables for the README', () => {
    const text = renderMarkdown(result);
    expect(text).to.include('| case | size | file | ours ms |');
    expect(text).to.include('| --- | ---: | ---: | ---: |');
    expect(text).to.match(/\| jpeg-12mp \| 4000×3000 \| 3\.8 MB \| 300 \| 60\.0 \| 5\.00× \|/);
    expect(text).to.include('- issue 2 (≤ 6× time, ≤ 2.5× RSS): jpeg-12mp time met, RSS met');
  });

  it('puts two runs side by side, before → after, for the cases both measured', () => {
    const after: BenchResult = {
      ...result,
      cases: [{ ...result.cases[0]!, ours: side(120, 130), ratio: 2, rssRatio: 1.3, cpuRatio: 2 }],
    };
    const text = renderComparison(result, after);
    expect(text).to.include(
      '| case | ours ms | ours CPU ms | ours RSS MB | time × | CPU × | RSS × |',
    );
    expect(text).to.include(
      '| jpeg-12mp | 300 → 120 | 300 → 120 | 200 → 130 | 5.00× → 2.00× | 5.00× → 2.00× | 2.00× → 1.30× |',
    );
  });

  it("reports sharp's cold start beside ours, with the same breakdown", () => {
    const parsed = JSON.parse(renderJson(result)) as { coldStart: Record<string, unknown> };
    expect(parsed.coldStart).to.include({ oursMs: 812.35, sharpMs: 406, ratio: 2, bootMs: 40 });
    expect(parsed.coldStart['sharp']).to.deep.include({ medianMs: 406, importMs: 150 });
    const text = renderText(result);
    expect(text).to.include("medians (ours 2.00× sharp's)");
    expect(text).to.match(/^ours\s+812\s+40\.0\s+300\s+450\s+1$/m);
    expect(text).to.match(/^sharp\s+406\s+40\.0\s+150\s+180\s+1$/m);
  });

  it("says when sharp's cold start failed and still reports ours", () => {
    const cold = result.coldStart as ColdStartResult;
    const text = renderText({
      ...result,
      coldStart: {
        ...cold,
        sharpMs: null,
        ratio: null,
        sharp: { error: 'cold start of sharp failed' },
      },
    });
    expect(text).to.match(/^ours\s+812/m);
    expect(text).to.match(/^sharp\s+failed\s+—\s+—\s+—\s+cold start of sharp failed$/m);
  });

  it('carries the cost of a million images per case, and the rates unrounded', () => {
    const parsed = JSON.parse(renderJson(result)) as {
      costModel: { rates: { usdPerGbSecond: number }; deployedMemoryMB: number };
      cases: {
        costPerMillion: { gbSeconds: number; usd: number };
        costPerMillionBySize: Record<string, { sharp: { usd: number } }>;
      }[];
    };
    expect(parsed.costModel.rates.usdPerGbSecond).to.equal(0.000026);
    expect(parsed.costModel.deployedMemoryMB).to.equal(2048);
    expect(parsed.cases[0]?.costPerMillion).to.deep.equal({ gbSeconds: 600_000, usd: 16 });
    expect(parsed.cases[0]?.costPerMillionBySize['4096']?.sharp.usd).to.equal(3.52);
    const text = renderText(result);
    expect(text).to.include(
      'a million images on Flex Consumption, on demand (USD 0.000026 per GB-s',
    );
    expect(text).to.match(/^jpeg-12mp\s+600,000\s+\$16\.00\s+\$3\.52\s+\$16\.00\s+\$3\.52$/m);
  });

  it('reports a side that failed instead of dropping the case', () => {
    const failed: BenchResult = {
      ...result,
      cases: [
        {
          ...result.cases[0]!,
          ours: { error: 'boom' },
          ratio: null,
          rssRatio: null,
          cpuRatio: null,
        },
      ],
    };
    const text = renderText(failed);
    expect(text).to.match(/jpeg-12mp\s+4000×3000\s+3\.8 MB\s+failed/);
    expect(text).to.include('jpeg-12mp ours: boom');
  });
});

describe('bench quality check', () => {
  it('gives identical images an infinite PSNR and a one-level error about 48 dB', () => {
    const a = new Uint8Array([10, 20, 30, 40]);
    expect(psnr(a, a)).to.equal(Infinity);
    expect(psnr(a, new Uint8Array([11, 21, 31, 41]))).to.be.closeTo(48.13, 0.01);
  });

  it('refuses arrays of different lengths', () => {
    expect(() => psnr(new Uint8Array(3), new Uint8Array(4))).to.throw(RangeError);
  });
});
