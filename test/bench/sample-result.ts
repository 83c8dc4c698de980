/**
 * One benchmark run's results, made up: two cases, every section filled, for the tests of the
 * report's renderings (text, JSON, HTML).
 */
import { caseCost, costModel, FLEX_RATES } from '../../bench/cost.js';
import type { BenchResult, SideResult } from '../../bench/report.js';

/** A measured side whose every time is `medianMs`. */
export function side(medianMs: number, peakRssMb: number): SideResult {
  const image = { format: 'jpeg', width: 800, height: 600, bytes: 90_000 };
  return {
    medianMs,
    minMs: medianMs,
    maxMs: medianMs,
    runsMs: [medianMs],
    cpuMedianMs: medianMs,
    peakRssMb,
    output: image,
    thumbnail: { ...image, width: 150, height: 150 },
  };
}

export const result: BenchResult = {
  date: '2026-11-25T09:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'test', memoryGb: 24, node: 'v20', sharp: '0.35.5' },
  loadAverage: { start: 0.5, end: 0.7 },
  runs: 5,
  warmup: 1,
  nice: null,
  coldStartMs: 812.3456,
  coldStart: {
    medianMs: 812.3456,
    runsMs: [812.3456],
    bootMs: 40,
    importMs: 300,
    firstImageMs: 450,
    oursMs: 812.3456,
    sharpMs: 406,
    ratio: 2,
    sharp: { medianMs: 406, runsMs: [406], bootMs: 40, importMs: 150, firstImageMs: 180 },
  },
  encodes: [
    { format: 'jpeg', width: 800, height: 600, bytes: 180_000, medianMs: 21.5, runsMs: [21.5] },
    { format: 'webp', width: 800, height: 600, bytes: 137_000, medianMs: 95, runsMs: [95] },
    { format: 'avif', width: 800, height: 600, bytes: 163_000, medianMs: 640, runsMs: [640] },
  ],
  costModel: costModel(FLEX_RATES),
  cases: [
    {
      name: 'jpeg-12mp',
      input: { format: 'jpeg', width: 4000, height: 3000, bytes: 4_000_000 },
      ours: side(300, 200),
      sharp: side(60, 100),
      ratio: 5,
      rssRatio: 2,
      cpuRatio: 5,
      psnrVsSharpDb: 38.2,
      stagesMs: { decode: 250, resize: 30, encode: 20 },
      ...caseCost(300, 60, FLEX_RATES),
    },
    {
      name: 'png-12mp',
      input: { format: 'png', width: 4000, height: 3000, bytes: 40_000_000 },
      ours: side(500, 360),
      sharp: side(250, 240),
      ratio: 2,
      rssRatio: 1.5,
      cpuRatio: 2,
      psnrVsSharpDb: 52,
      stagesMs: { decode: 300, resize: 180, encode: 20 },
      ...caseCost(500, 250, FLEX_RATES),
    },
  ],
};
