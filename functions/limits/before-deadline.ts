/**
 * Waiting for work with a deadline, without stopping the work: a delivery must answer within
 * Event Grid's window, while what it waits for (a storage read, a run) may go on after.
 */

/** What `work` resolves to if it does so within `ms`, else `'late'` (it goes on unheeded). */
export async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, ms));
  });
  work.catch(() => undefined); // a late failure is nobody's to handle here
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
