/**
 * The graph's colours, read from the theme's CSS variables (light, dark and high-contrast themes
 * all work without a palette of our own). Read once per theme change, not per frame.
 */
import type { GraphTheme } from './chartModel';
import { Layer, LAYERS } from './clientSeries';
import { opaque } from './colors';

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** One theme colour per layer; also set as CSS variables so the legend's swatches match. */
function layerColors(foreground: string): Record<Layer, string> {
  const colors: Record<Layer, string> = {
    heapInUse: opaque(cssVar('--vscode-charts-blue', '#3794ff')),
    freeHeld: opaque(cssVar('--vscode-charts-yellow', '#cca700')),
    stacks: opaque(cssVar('--vscode-charts-purple', '#b180d7')),
    otherRuntime: opaque(cssVar('--vscode-descriptionForeground', foreground)),
    lazyFree: opaque(cssVar('--vscode-charts-orange', '#d18616')),
    outsideGo: opaque(cssVar('--vscode-charts-red', '#f14c4c')),
  };
  for (const layer of LAYERS) document.body.style.setProperty(`--memory-watch-${layer}`, colors[layer]);
  return colors;
}

/** The current theme's colours; sets the CSS variables the legend uses. */
export function readTheme(): GraphTheme {
  const foreground = cssVar('--vscode-foreground', '#cccccc');
  const theme: GraphTheme = {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.3)'),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    font: `${cssVar('--vscode-font-size', '12px')} ${cssVar('--vscode-font-family', 'sans-serif')}`,
    rss: opaque(cssVar('--vscode-charts-blue', '#3794ff')),
    vsz: opaque(cssVar('--vscode-charts-orange', '#d18616')),
    release: opaque(cssVar('--vscode-charts-green', '#89d185')),
    attach: opaque(cssVar('--vscode-charts-purple', '#b180d7')),
    exit: opaque(cssVar('--vscode-charts-red', '#f14c4c')),
    warning: opaque(cssVar('--vscode-charts-yellow', '#cca700')),
    container: opaque(cssVar('--vscode-charts-purple', '#b180d7')),
    layers: layerColors(foreground),
  };
  document.body.style.setProperty('--memory-watch-container', theme.container);
  document.body.style.setProperty('--memory-watch-limit', theme.exit);
  document.body.style.setProperty('--memory-watch-rss', theme.rss);
  document.body.style.setProperty('--memory-watch-gc', theme.release);
  document.body.style.setProperty('--memory-watch-vsz', theme.vsz);
  return theme;
}
