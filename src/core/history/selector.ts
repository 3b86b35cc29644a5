/**
 * A PromQL series selector as the user gives it (`{job="api"}`, `{namespace="prod", pod=~"api-.*"}`),
 * read strictly into label matchers — never passed on as text. Memory Watch builds every query
 * itself from these matchers and the metric names it knows, so a selector cannot smuggle a function,
 * an operator or another query into what is sent to the server.
 */

/** One label matcher: `name op "value"`. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A parsed selector, or why the text is not one (a sentence). */
export type SelectorResult = { readonly ok: true; readonly matchers: readonly LabelMatcher[] } | { readonly ok: false; readonly message: string };

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
/** A selector longer than this is not one a person typed. */
const MAX_SELECTOR_CHARS = 4096;
const MAX_MATCHERS = 32;

/**
 * Reads `{label op "value", …}` (an optional metric name before it is refused: Memory Watch picks the
 * metrics). Values are double- or single-quoted, or back-quoted raw strings, with PromQL's escapes.
 * At least one matcher must not match the empty string, as Prometheus itself requires.
 */
export function parseSelector(text: string): SelectorResult {
  if (typeof text !== 'string') return { ok: false, message: 'The selector is not text.' };
  const s = text.trim();
  if (s.length > MAX_SELECTOR_CHARS) return { ok: false, message: `The selector is longer than ${MAX_SELECTOR_CHARS} characters.` };
  if (!s.startsWith('{') || !s.endsWith('}')) {
    return { ok: false, message: 'A selector is label matchers in braces, such as {job="api"} or {namespace="prod", pod=~"api-.*"} — no metric name, function or operator.' };
  }
  const matchers: LabelMatcher[] = [];
  let i = 1;
  const end = s.length - 1;
  const skipSpace = () => {
    while (i < end && /\s/.test(s[i])) i++;
  };
  skipSpace();
  while (i < end) {
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i, end));
    if (!nameMatch || !LABEL_NAME.test(nameMatch[0])) return { ok: false, message: `Not a label name at character ${i + 1} of the selector.` };
    const name = nameMatch[0];
    if (name === '__name__') return { ok: false, message: 'The selector names series by their labels; Memory Watch picks the metrics itself (no __name__).' };
    i += name.length;
    skipSpace();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => s.startsWith(o, i));
    if (!op) return { ok: false, message: `After ${name}, an operator (=, !=, =~ or !~) was expected.` };
    i += op.length;
    skipSpace();
    const value = readString();
    if (typeof value !== 'string') return value;
    if (op === '=~' || op === '!~') {
      // Checked here so the server's error does not stand for ours; Go's RE2 and JavaScript agree on the common subset.
      try {
        new RegExp(`^(?:${value})$`);
      } catch {
        return { ok: false, message: `The regular expression for ${name} is not valid.` };
      }
    }
    matchers.push({ name, op, value });
    if (matchers.length > MAX_MATCHERS) return { ok: false, message: `A selector of more than ${MAX_MATCHERS} matchers is not one Memory Watch takes.` };
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
      continue;
    }
    if (i !== end) return { ok: false, message: `A comma or the closing brace was expected at character ${i + 1} of the selector.` };
  }
  if (!matchers.some((m) => !matchesEmpty(m))) {
    return { ok: false, message: 'The selector must name something: at least one matcher that does not match an empty value, such as {job="api"}.' };
  }
  return { ok: true, matchers };

  function readString(): string | { ok: false; message: string } {
    const quote = s[i];
    if (quote !== '"' && quote !== "'" && quote !== '`') return { ok: false, message: `A quoted value was expected at character ${i + 1} of the selector.` };
    i++;
    let value = '';
    while (i < end && s[i] !== quote) {
      if (s[i] === '\\' && quote !== '`') {
        const next = s[i + 1];
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (next === undefined || !(next in escapes)) return { ok: false, message: `An escape the selector cannot hold at character ${i + 1}.` };
        value += escapes[next];
        i += 2;
        continue;
      }
      value += s[i++];
    }
    if (s[i] !== quote) return { ok: false, message: 'A quoted value in the selector never ends.' };
    i++;
    return value;
  }
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test('');
  }
}

/** A value as a PromQL double-quoted string. */
export function quoteLabelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** The selector as text again, normalized (for names, files and the log). */
export function selectorText(matchers: readonly LabelMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${quoteLabelValue(m.value)}`).join(', ')}}`;
}

/** A regular expression matching exactly these values (PromQL's RE2: the specials escaped). */
export function anyOf(values: readonly string[]): string {
  return values.map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
}
