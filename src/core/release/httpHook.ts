/**
 * The HTTP way to make the target call debug.FreeOSMemory(): a POST to a handler in the program.
 * The request goes through core/net (loopback unless the user allowed the host, a deadline, a
 * bounded body); here only what a hook's answer means.
 */
import { checkUrl, HOOK_URL } from '../net/urlPolicy';
import { request, RequestError } from '../net/request';

export const HOOK_TIMEOUT_MS = 2000;
/** How much of an answer we keep (to show its start, or parse a small JSON report). */
const MAX_BODY_BYTES = 64 * 1024;

export interface HookAnswer {
  readonly status: number;
  /** The start of the body (at most MAX_BODY_BYTES), as text. */
  readonly body: string;
  readonly contentType?: string;
}

/**
 * POSTs to the hook. Resolves with any HTTP answer (the caller judges the status); rejects with a
 * readable Error on timeout, refusal or a name that does not resolve to where it may go.
 */
export async function postHook(url: URL, allowedHosts: readonly string[], timeoutMs = HOOK_TIMEOUT_MS): Promise<HookAnswer> {
  const check = checkUrl(url.href, allowedHosts, HOOK_URL);
  if (!check.ok) throw new Error(check.message);
  try {
    const answer = await request(url, {
      method: 'POST',
      timeoutMs,
      maxBytes: MAX_BODY_BYTES,
      overflow: 'truncate',
      allowedHosts,
      label: `The FreeOSMemory hook at ${url.origin}${url.pathname}`,
    });
    return { status: answer.status, body: answer.body.toString('utf8'), contentType: answer.contentType };
  } catch (err) {
    if (err instanceof RequestError && err.failure === 'unreachable' && /refused/.test(err.message)) {
      throw new Error(`${err.message} Is the program running, and is the hook URL's port right?`, { cause: err });
    }
    throw err;
  }
}
