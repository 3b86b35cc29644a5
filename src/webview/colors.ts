/** Colour helpers for the canvas. */

/**
 * The same colour without transparency. Some themes define chart colours with alpha (charts.orange
 * defaults to a translucent minimap colour): a thin line in such a colour nearly vanishes.
 */
export function opaque(color: string): string {
  const hex = /^#([0-9a-f]{8}|[0-9a-f]{4})$/i.exec(color.trim());
  if (hex) return `#${hex[1].length === 8 ? hex[1].slice(0, 6) : hex[1].slice(0, 3)}`;
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),[^)]*\)$/i.exec(color.trim());
  if (rgba) return `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})`;
  return color;
}
