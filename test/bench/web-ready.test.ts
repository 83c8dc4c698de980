import { expect } from 'chai';
import { webReadyLines, webReadyMs } from '../../bench/web-ready.js';

describe('bench web-ready stages', () => {
  it('adds up the web-ready stages only, and judges the 12 MP JPEG case against 5 ms', () => {
    const stagesMs = {
      decode: 250,
      sample: 0.8,
      placeholder: 0.5,
      dominantColor: 0.6,
      perceptualHash: 0.2,
    };
    expect(webReadyMs(stagesMs)).to.be.closeTo(2.1, 1e-9);
    const [line] = webReadyLines([
      { name: 'jpeg-1mp', stagesMs },
      { name: 'jpeg-12mp', stagesMs: { ...stagesMs, dominantColor: 4 } },
    ]);
    expect(line).to.include('jpeg-1mp 2.10 ms; jpeg-12mp 5.50 ms (budget ≤ 5 ms: missed)');
  });

  it('says nothing when no web-ready stage ran', () => {
    expect(webReadyMs({ decode: 250 })).to.equal(null);
    expect(webReadyLines([{ name: 'jpeg-12mp', stagesMs: { decode: 250 } }])).to.deep.equal([]);
  });
});
