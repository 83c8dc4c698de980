/**
 * What a million images cost on Azure Functions Flex Consumption, on-demand billing, from the
 * benchmark's per-image time. The meter (Microsoft's "Flex Consumption plan hosting", section
 * Billing, and the Azure Functions pricing page) bills two things per subscription and month:
 *
 * - **On-demand execution time**: the instance memory size (not the memory used) in GB times
 *   the seconds the instance is actively executing functions, in GB-seconds;
 * - **On-demand executions**: a price per million executions.
 *
 * The model, per image: `gbSeconds = instanceMemoryGb × seconds / imagesInFlight`, and per
 * million images `usd = 1e6 × gbSeconds × usdPerGbSecond + usdPerMillionExecutions`.
 * Its assumptions (see docs/performance.md, "What a million images cost"):
 *
 * - an image is CPU-bound on one thread; Flex gives 1 vCPU at 2048 MB and 2 at 4096 MB, and
 *   the deployed concurrency (2 images per instance) keeps them busy, so an instance's time is
 *   shared by as many images as it has vCPUs (`imagesInFlight`), each taking the time measured
 *   here on one core (its CPU time: the bench's `cpuMedianMs`);
 * - instances are busy: one execution follows another, so the meter's activity periods join
 *   and its 1,000 ms minimum per period does not apply (a lone image on an idle instance is
 *   billed at least 1 s: {@link isolatedImageCost});
 * - blob download and upload, the host's own work and cold starts are not counted;
 * - the monthly free grant is not subtracted: these are marginal prices beyond it.
 */

/** The meter's prices (USD, pay-as-you-go) and where and when they were read. */
export interface FlexRates {
  /** On-demand execution time, USD per GB-second of instance memory. */
  usdPerGbSecond: number;
  /** On-demand executions, USD per million. */
  usdPerMillionExecutions: number;
  /** When these rates were read (ISO date). */
  asOf: string;
  source: string;
}

/**
 * Today's rates (East US, pay-as-you-go). Free grant, not applied by the model: 100,000 GB-s and
 * 250,000 executions per subscription and month. Override with `--usd-per-gb-second` and
 * `--usd-per-million-executions`.
 */
export const FLEX_RATES: FlexRates = Object.freeze({
  usdPerGbSecond: 0.000026,
  usdPerMillionExecutions: 0.4,
  asOf: '2026-12-03',
  source: 'https://azure.microsoft.com/pricing/details/functions/ (Flex Consumption, on demand)',
});

/**
 * The instance memory the Bicep deploys (`instanceMemoryMB` in bicep/main.bicep; a test keeps
 * the two equal).
 */
export const DEPLOYED_INSTANCE_MEMORY_MB = 2048;

/** Flex Consumption's instance sizes the report prices, with the vCPUs each one gets. */
export const INSTANCE_SIZES: readonly { memoryMB: number; vcpus: number }[] = Object.freeze([
  { memoryMB: 2048, vcpus: 1 },
  { memoryMB: 4096, vcpus: 2 },
]);

/** The meter's minimum billable activity period of an instance, ms. */
export const MINIMUM_BILLED_MS = 1000;

/** GB-seconds and their price for a million images. */
export interface Cost {
  gbSeconds: number;
  usd: number;
}

/** Both sides' cost at one instance size. */
export interface SizeCost {
  /** Images an instance of this size runs at once (one per vCPU). */
  imagesInFlight: number;
  ours: Cost | null;
  sharp: Cost | null;
}

/**
 * The cost of a million images that each take `imageMs` of one vCPU, on instances of
 * `memoryMB` running `imagesInFlight` images at once.
 */
export function costPerMillion(
  imageMs: number,
  memoryMB: number,
  imagesInFlight: number,
  rates: Pick<FlexRates, 'usdPerGbSecond' | 'usdPerMillionExecutions'>,
): Cost {
  if (!(imageMs >= 0) || !(memoryMB > 0) || !(imagesInFlight >= 1)) {
    throw new RangeError(
      `Expected imageMs ≥ 0, memoryMB > 0 and imagesInFlight ≥ 1 but received ${imageMs}, ${memoryMB}, ${imagesInFlight}`,
    );
  }
  const gbSeconds = ((memoryMB / 1024) * (imageMs / 1000) * 1e6) / imagesInFlight;
  return { gbSeconds, usd: gbSeconds * rates.usdPerGbSecond + rates.usdPerMillionExecutions };
}

/**
 * A million images that each arrive alone on an idle instance: each activity period is billed
 * at least {@link MINIMUM_BILLED_MS}, and beyond it rounded up to the next 100 ms.
 */
export function isolatedImageCost(
  imageMs: number,
  memoryMB: number,
  rates: Pick<FlexRates, 'usdPerGbSecond' | 'usdPerMillionExecutions'>,
): Cost {
  const billedMs = Math.max(MINIMUM_BILLED_MS, Math.ceil(imageMs / 100) * 100);
  return costPerMillion(billedMs, memoryMB, 1, rates);
}

/** Each instance size's cost of a million images for both sides (null where not measured). */
export function costBySize(
  oursMs: number | null,
  sharpMs: number | null,
  rates: Pick<FlexRates, 'usdPerGbSecond' | 'usdPerMillionExecutions'>,
): Record<string, SizeCost> {
  const bySize: Record<string, SizeCost> = {};
  for (const { memoryMB, vcpus } of INSTANCE_SIZES) {
    const price = (ms: number | null) =>
      ms === null ? null : costPerMillion(ms, memoryMB, vcpus, rates);
    bySize[String(memoryMB)] = {
      imagesInFlight: vcpus,
      ours: price(oursMs),
      sharp: price(sharpMs),
    };
  }
  return bySize;
}

/** What the JSON says about the model, so a saved result explains its own cost figures. */
export interface CostModel {
  rates: FlexRates;
  /** The size `costPerMillion` of each case is priced at (the Bicep's default). */
  deployedMemoryMB: number;
  sizes: readonly { memoryMB: number; vcpus: number }[];
  /** The per-image time the model bills: each side's median CPU time per image. */
  timeBasis: 'cpuMedianMs';
  freeGrantSubtracted: false;
  /** A lone image on an idle instance at the deployed size (billed at least 1 s). */
  isolatedImage: Cost;
}

/** The model's description for a run at `rates`. */
export function costModel(rates: FlexRates): CostModel {
  return {
    rates,
    deployedMemoryMB: DEPLOYED_INSTANCE_MEMORY_MB,
    sizes: INSTANCE_SIZES,
    timeBasis: 'cpuMedianMs',
    freeGrantSubtracted: false,
    isolatedImage: isolatedImageCost(0, DEPLOYED_INSTANCE_MEMORY_MB, rates),
  };
}

/** A case's cost fields: ours at the deployed size, and both sides at every priced size. */
export function caseCost(
  oursMs: number | null,
  sharpMs: number | null,
  rates: Pick<FlexRates, 'usdPerGbSecond' | 'usdPerMillionExecutions'>,
): { costPerMillion: Cost | null; costPerMillionBySize: Record<string, SizeCost> } {
  const bySize = costBySize(oursMs, sharpMs, rates);
  return {
    costPerMillion: bySize[String(DEPLOYED_INSTANCE_MEMORY_MB)]?.ours ?? null,
    costPerMillionBySize: bySize,
  };
}
