/**
 * How sizes and durations read to a person: binary units (KiB, MiB, GiB) everywhere, one decimal
 * place, so "118.7 MiB" in the status bar, the graph and a notification all mean the same thing.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
export type ByteUnit = (typeof UNITS)[number];

/** The largest binary unit in which `bytes` is at least 1 (B for less than 1 KiB). */
export function unitFor(bytes: number): ByteUnit {
  let unit = 0;
  let value = Math.abs(bytes);
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB would round to "1024.0 KiB": show it as "1.0 MiB" instead.
  if (unit > 0 && unit < UNITS.length - 1 && Number((value).toFixed(1)) >= 1024) unit++;
  return UNITS[unit];
}

/** `bytes` in the given unit, without the unit: "118.7". Bytes are whole numbers. */
export function formatIn(bytes: number, unit: ByteUnit): string {
  const index = UNITS.indexOf(unit);
  if (index === 0) return String(Math.round(bytes));
  return (bytes / 1024 ** index).toFixed(1);
}

/** "118.7 MiB", "512 B", "1.2 GiB"; "—" for a value that is not known. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const unit = unitFor(bytes);
  return `${formatIn(bytes, unit)} ${unit}`;
}

/** "118.7 → 13.2 MiB" when both ends share a unit, else "1.2 GiB → 13.2 MiB". */
export function formatTransition(from: number, to: number): string {
  const a = unitFor(from);
  const b = unitFor(to);
  if (a === b) return `${formatIn(from, a)} → ${formatIn(to, a)} ${a}`;
  return `${formatBytes(from)} → ${formatBytes(to)}`;
}

/**
 * "2026-12-01 10:00" in this machine's time zone; "—" for a time that is not one. Not
 * toLocaleString: its first call loads the locale data, past 50 ms on the extension host's thread
 * (bench/RESULTS.md, "Measured once").
 */
export function formatLocalDateTime(epochMs: number): string {
  const date = new Date(epochMs);
  if (!Number.isFinite(epochMs) || Number.isNaN(date.getTime())) return '—';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** "40 ms", "0.4 s", "12 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 100) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** A byte count as its MiB number, for thresholds given in MiB. */
export const MiB = 1024 * 1024;
