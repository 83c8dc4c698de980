import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import {
  caseCost,
  costModel,
  costPerMillion,
  DEPLOYED_INSTANCE_MEMORY_MB,
  FLEX_RATES,
  INSTANCE_SIZES,
  isolatedImageCost,
} from '../../bench/cost.js';

const RATES = { usdPerGbSecond: 0.000026, usdPerMillionExecutions: 0.4 };

describe('bench cost model (Flex Consumption, on demand)', () => {
  it('bills instance memory × time: 100 ms at 2 GB is 200,000 GB-s and $5.60 a million', () => {
    const cost = costPerMillion(100, 2048, 1, RATES);
    expect(cost.gbSeconds).to.be.closeTo(200_000, 1e-6);
    // 200,000 GB-s × $0.000026 = $5.20, plus $0.40 for a million executions.
    expect(cost.usd).to.be.closeTo(5.6, 1e-9);
  });

  it('shares an instance between the images it runs at once', () => {
    const one = costPerMillion(100, 4096, 1, RATES);
    const two = costPerMillion(100, 4096, 2, RATES);
    expect(one.gbSeconds).to.be.closeTo(400_000, 1e-6);
    expect(two.gbSeconds).to.be.closeTo(200_000, 1e-6);
    expect(two.usd).to.be.closeTo(200_000 * 0.000026 + 0.4, 1e-9);
  });

  it('charges the executions even for an image that takes no time', () => {
    expect(costPerMillion(0, 2048, 1, RATES)).to.deep.equal({ gbSeconds: 0, usd: 0.4 });
  });

  it('refuses a negative time, no memory or fewer than one image in flight', () => {
    expect(() => costPerMillion(-1, 2048, 1, RATES)).to.throw(RangeError);
    expect(() => costPerMillion(1, 0, 1, RATES)).to.throw(RangeError);
    expect(() => costPerMillion(1, 2048, 0, RATES)).to.throw(RangeError);
    expect(() => costPerMillion(Number.NaN, 2048, 1, RATES)).to.throw(RangeError);
  });

  it('bills a lone image at least 1 s, and beyond that rounds up to 100 ms', () => {
    expect(isolatedImageCost(45, 2048, RATES).gbSeconds).to.be.closeTo(2_000_000, 1e-6);
    expect(isolatedImageCost(1001, 2048, RATES).gbSeconds).to.be.closeTo(2_200_000, 1e-6);
  });

  it('prices both sides at 2048 MB (1 vCPU) and 4096 MB (2 vCPUs), ours at the deployed size', () => {
    const { costPerMillion: deployed, costPerMillionBySize: bySize } = caseCost(300, null, RATES);
    expect(Object.keys(bySize)).to.deep.equal(['2048', '4096']);
    expect(bySize['2048']?.imagesInFlight).to.equal(1);
    expect(bySize['4096']?.imagesInFlight).to.equal(2);
    expect(bySize['2048']?.sharp).to.equal(null);
    expect(deployed).to.deep.equal(bySize[String(DEPLOYED_INSTANCE_MEMORY_MB)]?.ours);
    expect(deployed?.gbSeconds).to.be.closeTo(600_000, 1e-6);
  });

  it('has no cost for a side that was not measured', () => {
    expect(caseCost(null, null, RATES).costPerMillion).to.equal(null);
  });

  it('describes itself: rates with their date and source, and the lone-image floor', () => {
    const model = costModel(FLEX_RATES);
    expect(model.rates.asOf).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(model.rates.source).to.include('azure.microsoft.com');
    expect(model.freeGrantSubtracted).to.equal(false);
    expect(model.isolatedImage.gbSeconds).to.be.closeTo(2_000_000, 1e-6);
  });

  it('prices the instance size the Bicep deploys by default, and offers it', async () => {
    const bicep = await readFile(new URL('../../bicep/main.bicep', import.meta.url), 'utf8');
    const match = /^param instanceMemoryMB int = (\d+)$/m.exec(bicep);
    expect(match?.[1]).to.equal(String(DEPLOYED_INSTANCE_MEMORY_MB));
    expect(INSTANCE_SIZES.map((size) => size.memoryMB)).to.include(DEPLOYED_INSTANCE_MEMORY_MB);
  });
});
