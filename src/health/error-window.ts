/**
 * Sliding-window counting for hardware-error thresholds: N occurrences within W milliseconds.
 * An occurrence exactly W old is outside the window (the window is (at − W, at]). After a crossing
 * the count starts again, so N + 1 errors alert once and 2N errors alert twice.
 */
export function recordOccurrence(window: number[], at: number, threshold: number, windowMs: number): boolean {
  window.push(at);
  let drop = 0;
  while (drop < window.length && window[drop]! <= at - windowMs) drop++;
  if (drop > 0) window.splice(0, drop);
  if (window.length < threshold) return false;
  window.length = 0;
  return true;
}
