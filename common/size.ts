/** Byte sizes as a spec writes them ("512MiB", "1GB", or a number of bytes). Pure: workflows use it too. */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|[kmgt]i?b)?$/i;

/** "512MiB", "2 GB", "1024" → bytes (rounded down); undefined when it is not a size. */
export function sizeBytes(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!);
}
