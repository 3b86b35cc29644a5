/**
 * The kinds of diagnosis and advice (diagnosis.ts), as values: the graph turns a kind into a CSS
 * class and a recording carries one as the file's text, so both check against these. No imports:
 * the webview bundles this file.
 */

/** What the one-line diagnosis is about (see diagnosis.ts). */
export const DIAGNOSIS_KINDS = ['near-limit', 'limit-trend', 'leak', 'goroutine-leak', 'live-heap', 'since-gc', 'free-held', 'lazy-free', 'outside-go'] as const;
export type DiagnosisKind = (typeof DIAGNOSIS_KINDS)[number];

/** Advice about the settings, given next to the diagnosis. */
export const ADVICE_KINDS = ['gomemlimit-unset', 'gomemlimit-above-limit'] as const;
export type AdviceKind = (typeof ADVICE_KINDS)[number];

// A Set's has(), not `in` on an object: "__proto__" or "toString" is no kind.
const diagnosisKinds: ReadonlySet<unknown> = new Set(DIAGNOSIS_KINDS);
const adviceKinds: ReadonlySet<unknown> = new Set(ADVICE_KINDS);

/** True for a kind this version knows (and styles). */
export function isDiagnosisKind(kind: unknown): kind is DiagnosisKind {
  return diagnosisKinds.has(kind);
}

/** True for an advice kind this version knows. */
export function isAdviceKind(kind: unknown): kind is AdviceKind {
  return adviceKinds.has(kind);
}
