/**
 * Every notification Memory Watch shows goes through here, so that text from a target in it stays
 * plain text (shared/text.ts): a hook's error body cannot plant a link that runs a command.
 * ESLint forbids calling vscode.window.show*Message anywhere else (eslint.config.mjs).
 */
import vscode = require('vscode');
import { plainForNotification } from '../shared/text';

type Options = vscode.MessageOptions;

function show<T extends string>(kind: 'info' | 'warning' | 'error', message: string, rest: (Options | T)[]): Thenable<T | undefined> {
  const text = plainForNotification(message);
  const options = typeof rest[0] === 'object' ? (rest[0] as Options) : undefined;
  const items = rest.filter((r): r is T => typeof r === 'string');
  const safeOptions = options?.detail ? { ...options, detail: plainForNotification(options.detail) } : options;
  if (kind === 'info') return safeOptions ? vscode.window.showInformationMessage(text, safeOptions, ...items) : vscode.window.showInformationMessage(text, ...items);
  if (kind === 'warning') return safeOptions ? vscode.window.showWarningMessage(text, safeOptions, ...items) : vscode.window.showWarningMessage(text, ...items);
  return safeOptions ? vscode.window.showErrorMessage(text, safeOptions, ...items) : vscode.window.showErrorMessage(text, ...items);
}

/** An information message; `rest` is optional MessageOptions then the buttons, as in VS Code. */
export function showInfo<T extends string>(message: string, ...rest: (Options | T)[]): Thenable<T | undefined> {
  return show('info', message, rest);
}

export function showWarning<T extends string>(message: string, ...rest: (Options | T)[]): Thenable<T | undefined> {
  return show('warning', message, rest);
}

export function showError<T extends string>(message: string, ...rest: (Options | T)[]): Thenable<T | undefined> {
  return show('error', message, rest);
}
