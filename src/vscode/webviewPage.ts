/**
 * The one page our webviews load: our built script and stylesheet only, under a Content Security
 * Policy that allows nothing else (no remote resources, no inline script, a fresh nonce each time).
 */
import { randomBytes } from 'crypto';
import vscode = require('vscode');

export interface WebviewPageOptions {
  /** media/<name>.css and media/dist/<name>.js */
  readonly name: string;
  readonly title: string;
  /** Attributes of <body> and of <main id="app">, already safe (ours, not the target's). */
  readonly bodyAttributes?: string;
  readonly mainAttributes?: string;
}

export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, options: WebviewPageOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const media = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', ...path));
  const csp = ["default-src 'none'", `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${media(`${options.name}.css`)}" rel="stylesheet">
  <title>${options.title}</title>
</head>
<body${options.bodyAttributes ? ` ${options.bodyAttributes}` : ''}>
  <main id="app"${options.mainAttributes ? ` ${options.mainAttributes}` : ''}></main>
  <script nonce="${nonce}" src="${media('dist', `${options.name}.js`)}"></script>
</body>
</html>`;
}
