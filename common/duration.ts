/** Durations in the spec are Temporal-style strings ("500ms", "10s", "5m", "1h", "30d"). Pure code. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export function durationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 10s, 5m, 1h, 30d)`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}
