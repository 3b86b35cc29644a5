/**
 * CSS classes named by kinds the host sends. A recording's diagnosis kind is the file's own text,
 * so only the known kinds (shared/diagnosisKinds.ts) become classes — "leak live-heap" would style
 * as two; anything else gets the neutral style.
 */
import { isAdviceKind, isDiagnosisKind } from '../shared/diagnosisKinds';

/** The diagnosis line's className: "diagnosis leak", or just "diagnosis". */
export function diagnosisClass(kind: unknown): string {
  return isDiagnosisKind(kind) ? `diagnosis ${kind}` : 'diagnosis';
}

/** An advice line's className: its kind when known, else none. */
export function adviceClass(kind: unknown): string {
  return isAdviceKind(kind) ? kind : '';
}
