/** Axis ticks for bytes (binary units) and for clock time. */
import { ByteUnit, unitFor } from '../shared/format';

export interface ByteTicks {
  /** The axis top (a tick). */
  readonly max: number;
  readonly ticks: number[];
  readonly unit: ByteUnit;
  label(value: number): string;
}

const BYTE_FACTORS: Record<ByteUnit, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** A "nice" step (1, 2, 2.5, 5 × 10^k) so that about `count` steps cover `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * power) return m * power;
  return 10 * power;
}

/** The decimals a step of the form m × 10^k (m from niceStep) needs to be written exactly. */
function decimalsOf(step: number): number {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 6;
}

/** Ticks from 0 up to at least `maxBytes`, labelled in the unit of the top value. */
export function byteTicks(maxBytes: number, count: number): ByteTicks {
  const top = Math.max(maxBytes, 1024 * 1024); // at least 1 MiB, so an idle process's axis is sane
  const unit = unitFor(top);
  const factor = BYTE_FACTORS[unit];
  const step = niceStep(top / factor, count) * factor;
  const max = Math.ceil(top / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= max + step / 2; i++) ticks.push(i * step);
  // As many decimals as the step needs, so each label is its tick exactly (0.25 GiB, not 0.3).
  const decimals = decimalsOf(step / factor);
  return {
    max,
    ticks,
    unit,
    label: (value) => (value === 0 ? '0' : (value / factor).toFixed(decimals)) + ' ' + unit,
  };
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** Clock-time ticks between `min` and `max` (epoch ms), about `count` of them, on round times. */
export function timeTicks(min: number, max: number, count: number): number[] {
  const span = Math.max(1, max - min);
  const step = TIME_STEPS_MS.find((s) => span / s <= count) ?? TIME_STEPS_MS[TIME_STEPS_MS.length - 1];
  // Round to local clock boundaries: offset by the timezone so "on the minute" is local.
  const offset = new Date(min).getTimezoneOffset() * 60_000;
  const first = Math.ceil((min - offset) / step) * step + offset;
  const ticks: number[] = [];
  for (let t = first; t <= max; t += step) ticks.push(t);
  return ticks;
}

/** "14:03:27" (24-hour, local). */
export function clockLabel(time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
