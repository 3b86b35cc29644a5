// ESLint: the recommended rules of ESLint and typescript-eslint, plus a few that catch real bugs
// in async extension code (floating promises are made explicit with `void`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Node's own modules, with and without `node:`: a browser has none of them. */
const NODE_MODULES = [...builtinModules.flatMap((m) => [m, `${m}/*`]), 'node:*'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'media/dist/**', 'node_modules/**', 'test-output/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The test-only debug adapter extension is plain CommonJS, loaded by VS Code as is.
    files: ['test/vscode/delve-adapter/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', __dirname: 'readonly', require: 'readonly', queueMicrotask: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // `import vscode = require('vscode')`: the bundle then has a plain require. `import * as`
    // made esbuild copy the whole API object (hundreds of getters) once per importing module, 18
    // times: ≈ 9 ms of the extension host's CPU at every activation (bench/RESULTS.md).
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }] },
  },
  {
    // A promise nobody awaits hides its rejection: mark the ones left running on purpose with `void`.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }] },
  },
  {
    // The core runs (and is tested) in plain Node: VS Code stays in src/vscode.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not import vscode: it is plain Node, tested outside the editor.' }] }],
    },
  },
  {
    // The webviews run in a browser: they import only what is written for both sides (src/shared).
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'A webview has no vscode API: it talks to the host through src/shared/protocol.ts.' }],
          patterns: [
            { group: ['**/core/**', '**/core', '**/vscode/**', '../extension', '../main'], message: 'A webview imports only src/shared (and its own files): move what both sides need there.' },
            { group: NODE_MODULES, message: 'A webview runs in a browser: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    // The shared layer is bundled into the webviews and run by the extension: no Node, no vscode, nothing above it.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/shared runs in the webviews too: no vscode.' }],
          patterns: [
            { group: ['**/core/**', '**/core', '**/vscode/**', '**/webview/**', '../extension', '../main'], message: 'src/shared imports only src/shared: it is the layer below the core, the shell and the webviews.' },
            { group: NODE_MODULES, message: 'src/shared runs in the webviews too: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    // Text from a target in a notification must stay plain text: every message goes through vscode/notify.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/vscode/notify.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.property.name='window'][property.name=/^show(Error|Warning|Information)Message$/]",
          message: 'Use showInfo/showWarning/showError from vscode/notify.ts: they keep text from a target plain.',
        },
      ],
    },
  },
);
