/**
 * Text from a target — an HTTP body, a process name, a Go version read from a binary, a path — is
 * plain text wherever it is shown. VS Code gives some surfaces a markup of their own: notification
 * messages turn `[label](command:…)` into a link that runs a command, Markdown tooltips render
 * Markdown, and status bar items and quick pick labels draw `$(icon)` as an icon. These functions
 * make a string mean only itself on each surface.
 */

/** Longest text we pass on from a target to a notification. */
const MAX_NOTIFICATION_CHARS = 1000;

/**
 * For notification messages: breaks every `](` so no `[label](scheme:…)` can become a link (VS
 * Code's pattern needs the two characters side by side), drops control characters, and bounds
 * the length.
 */
export function plainForNotification(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').replace(/\]\s*\(/g, '] (');
  return clean.length > MAX_NOTIFICATION_CHARS ? `${clean.slice(0, MAX_NOTIFICATION_CHARS)}…` : clean;
}

/** Someone else's text (a server's error) as one line of a message: control characters and line breaks as spaces, bounded. */
export function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** For Markdown (tooltips): every character Markdown gives a meaning is escaped. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|~$]/g, (c) => `\\${c}`);
}

/**
 * For labels that render `$(name)` as an icon (status bar, quick pick): `\$(name)` shows as typed.
 * The same rule as VS Code's own escapeIcons (vs/base/common/iconLabels.ts).
 */
export function escapeIcons(text: string): string {
  return text.replace(/(\\)?\$\([a-z0-9-]+?(?:~[a-z0-9-]*?)?\)/gi, (match, escaped: string | undefined) => (escaped ? match : `\\${match}`));
}

/** For HTML: the five characters that could start markup or end an attribute, as character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
