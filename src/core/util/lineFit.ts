/**
 * A least-squares line through points added one at a time: the slope of a trend (the working set
 * toward its limit, a replica's RSS over a day). Give x relative to a point near the data (the
 * newest time, the first): the sums stay small and exact in doubles.
 */
export class LineFit {
  count = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;

  add(x: number, y: number): void {
    this.count++;
    this.sx += x;
    this.sy += y;
    this.sxx += x * x;
    this.sxy += x * y;
  }

  /** y per unit of x; NaN with fewer than two distinct x. */
  slope(): number {
    const n = this.count;
    const slope = (n * this.sxy - this.sx * this.sy) / (n * this.sxx - this.sx * this.sx);
    return Number.isFinite(slope) ? slope : NaN;
  }
}
