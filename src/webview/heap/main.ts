/**
 * The heap view: shows the state the host sends (model.ts turns it into rows and lines), keeps
 * the person's choices (figures, grouping, order) across reloads with setState, and sends back
 * only intents — refresh, set baseline, save, open a row's line — and what it drew.
 */
import type { FromHeapViewMessage, HeapGrouping, HeapOrder, HeapSample, HeapViewState, ToHeapViewMessage } from '../../shared/protocol';
import { MAX_RENDERED_HEAP_ROWS } from '../../shared/protocol';
import { buildTable, DEFAULT_CHOICES, headerLines, HeapViewChoices, ShownRow, ShownTable } from './model';

interface VsCodeApi {
  postMessage(message: FromHeapViewMessage): void;
  setState(state: HeapViewChoices): void;
  getState(): Partial<HeapViewChoices> | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: FromHeapViewMessage) => vscode.postMessage(message);
const saved = vscode.getState() ?? {};
let choices: HeapViewChoices = {
  sample: saved.sample === 'alloc' ? 'alloc' : DEFAULT_CHOICES.sample,
  grouping: saved.grouping === 'function' || saved.grouping === 'cumulative' ? saved.grouping : DEFAULT_CHOICES.grouping,
  order: saved.order === 'growth' ? 'growth' : DEFAULT_CHOICES.order,
};
let state: HeapViewState | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; id?: string; text?: string; title?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.id) node.id = props.id;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  node.append(...children);
  return node;
}

/** Text with `code` spans (the hints name Go imports): built as nodes, never as HTML. */
function withCode(text: string): Node[] {
  return text.split('`').map((part, i) => (i % 2 ? el('code', { text: part }) : document.createTextNode(part)));
}

function button(id: string, label: string, secondary: boolean, onClick: () => void): HTMLButtonElement {
  const b = el('button', { id, text: label, className: secondary ? 'secondary' : '' });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** A group of buttons of which one is pressed. */
function segmented<T extends string>(label: string, name: string, options: readonly [T, string][], current: () => T, choose: (value: T) => void): HTMLElement {
  const group = el('div', { className: 'segmented' });
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', label);
  group.append(el('span', { className: 'segmented-label', text: label }));
  for (const [value, text] of options) {
    const b = el('button', { text });
    b.type = 'button';
    b.dataset[name] = value;
    b.addEventListener('click', () => choose(value));
    group.append(b);
  }
  const update = () => {
    for (const b of group.querySelectorAll<HTMLButtonElement>('button')) b.setAttribute('aria-pressed', String(b.dataset[name] === current()));
  };
  update();
  updaters.push(update);
  return group;
}

const updaters: (() => void)[] = [];
const app = document.getElementById('app')!;
const title = el('h1', { id: 'heap-title' });
const sourceLine = el('div', { id: 'heap-source', className: 'muted' });
const refresh = button('heap-refresh', 'Refresh', false, () => post({ type: 'refresh' }));
const setBaseline = button('heap-set-baseline', 'Set baseline', true, () => post({ type: 'setBaseline' }));
const save = button('heap-save', 'Save…', true, () => post({ type: 'save' }));
const profileLine = el('div', { id: 'heap-profile' });
const baselineLine = el('div', { id: 'heap-baseline' });
const growthLine = el('div', { id: 'heap-growth' });
const problemLine = el('div', { id: 'heap-problem', className: 'problem' });
problemLine.setAttribute('role', 'status');
const noticeLine = el('div', { id: 'heap-notice', className: 'muted' });
const warnings = el('ul', { id: 'heap-warnings', className: 'warnings' });
const table = el('table', { id: 'heap-table' });
const more = el('div', { id: 'heap-more', className: 'muted' });
const empty = el('div', { id: 'heap-empty', className: 'empty' });

const choose = (next: Partial<HeapViewChoices>) => {
  choices = { ...choices, ...next };
  vscode.setState(choices);
  render();
};
const controls = el(
  'div',
  { className: 'controls' },
  segmented<HeapSample>('Show', 'sample', [['inuse', 'In use'], ['alloc', 'Allocated since start']], () => choices.sample, (sample) => choose({ sample })),
  segmented<HeapGrouping>('By', 'grouping', [['site', 'Line'], ['function', 'Function'], ['cumulative', 'Function, cumulative']], () => choices.grouping, (grouping) => choose({ grouping })),
  // Growth needs a comparison: without one the rows are in size order, and the buttons say so.
  segmented<HeapOrder>('Order', 'order', [['size', 'Size'], ['growth', 'Growth']], () => (state?.comparison ? choices.order : 'size'), (order) => choose({ order })),
);
const tableWrap = el('div', { className: 'table-wrap' }, table, empty, more);
app.append(
  el('header', { className: 'toolbar' }, el('div', { className: 'titles' }, title, sourceLine), el('span', { className: 'spacer' }), refresh, setBaseline, save),
  el('section', { className: 'summary' }, profileLine, baselineLine, growthLine, problemLine, noticeLine, warnings),
  controls,
  tableWrap,
);

// One click or Enter on a row opens its line (or says why there is none); the host checks the key
// against what it sent.
table.addEventListener('click', (event) => openRow((event.target as HTMLElement).closest('tr')));
table.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    openRow((event.target as HTMLElement).closest('tr'));
  }
});

function openRow(tr: HTMLTableRowElement | null): void {
  const key = tr?.dataset.key;
  const list = tr?.dataset.list;
  if (!tr || !key || (list !== 'sites' && list !== 'functions')) return;
  post({ type: 'open', list, key });
}

window.addEventListener('message', (event: MessageEvent<ToHeapViewMessage>) => {
  if (event.data?.type !== 'state') return;
  state = event.data.state;
  render();
});

function setLine(node: HTMLElement, text: string | undefined): void {
  node.replaceChildren(...(text ? withCode(text) : []));
  node.hidden = !text;
}

let lastReported = '';

function render(): void {
  for (const update of updaters) update();
  if (!state) return;
  const lines = headerLines(state);
  title.textContent = lines.title;
  setLine(sourceLine, lines.source);
  setLine(profileLine, lines.profile);
  setLine(baselineLine, lines.baseline);
  setLine(growthLine, lines.growth);
  setLine(problemLine, lines.problem);
  problemLine.classList.toggle('paused', state.paused);
  setLine(noticeLine, state.notice);
  warnings.replaceChildren(...lines.warnings.map((w) => el('li', { text: w })));
  warnings.hidden = !lines.warnings.length;
  refresh.disabled = state.fetching || !state.watchId || state.ended;
  refresh.textContent = state.fetching ? 'Refreshing…' : 'Refresh';
  setBaseline.disabled = !state.profile || state.baselineIsCurrent;
  save.disabled = !state.profile;
  for (const b of controls.querySelectorAll<HTMLButtonElement>('button[data-order="growth"]')) {
    b.disabled = !state.comparison;
    b.title = state.comparison ? 'Largest growth since the baseline first' : 'Needs a second profile: set a baseline, then Refresh later';
  }

  // Before the first profile there is nothing to sort or show: only the lines above.
  controls.hidden = !state.profile;
  tableWrap.hidden = !state.profile;
  const shown = buildTable(state, choices);
  renderTable(shown);
  setLine(more, shown.more);
  setLine(empty, state.profile ? shown.empty : undefined);
  table.hidden = !shown.rows.length;

  // Tell the host (and the tests) what is on screen, once per change.
  const keys = shown.rows.slice(0, MAX_RENDERED_HEAP_ROWS).map((r) => r.key);
  const report = JSON.stringify([state.version, choices, shown.order, keys]);
  if (report !== lastReported) {
    lastReported = report;
    post({ type: 'rendered', version: state.version, sample: choices.sample, grouping: choices.grouping, order: shown.order, keys });
  }
}

/**
 * The table is rebuilt only when what it shows changed: the host sends its state again for many
 * reasons (a watch's summary, a setting), and a rebuild under the pointer between mouse down and
 * up loses the click, and under the keyboard loses the focus. When it is rebuilt, the focused row
 * keeps the focus.
 */
let lastTable = '';
function renderTable(shown: ShownTable): void {
  const signature = JSON.stringify([shown.headers, shown.numeric, shown.rows]);
  if (signature === lastTable) return;
  lastTable = signature;
  const focusedKey = document.activeElement instanceof HTMLTableRowElement && table.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  const head = el('tr');
  shown.headers.forEach((h, i) => head.append(el('th', { text: h, className: `${shown.numeric[i] ? 'num' : ''}${h === 'Objects' ? ' objects' : ''}` })));
  const body = el('tbody');
  for (const row of shown.rows) body.append(renderRow(row, shown.headers.length));
  table.replaceChildren(el('thead', {}, head), body);
  if (focusedKey !== undefined) [...body.rows].find((tr) => tr.dataset.key === focusedKey)?.focus();
}

function renderRow(row: ShownRow, columns: number): HTMLTableRowElement {
  const tr = el('tr', { className: row.openable ? 'openable' : 'unmapped' });
  tr.dataset.key = row.key;
  tr.dataset.list = row.list;
  tr.tabIndex = 0;
  // Name, then its location on a second line (with its badge): the hover says the full name and the file.
  const name = el('div', { className: 'name', text: row.name, title: row.title });
  if (row.isNew) name.append(el('span', { className: 'tag new', text: 'new' }));
  const where = el('div', { className: 'loc', title: row.locationTitle }, el('span', { className: 'where', text: row.location }));
  if (row.badge) where.append(el('span', { className: `tag ${row.badge.replace(' ', '-')}`, text: row.badge }));
  const cell = el('td', { className: 'fn' }, name, where);
  const cells: HTMLElement[] = [cell];
  if (row.flat !== undefined) cells.push(el('td', { className: 'num', text: row.flat }));
  cells.push(el('td', { className: 'num size', text: row.size }), el('td', { className: 'num objects', text: row.objects }), el('td', { className: 'num', text: row.share }));
  if (row.change !== undefined) cells.push(el('td', { className: `num change ${row.changeSign > 0 ? 'up' : row.changeSign < 0 ? 'down' : 'zero'}`, text: row.change }));
  while (cells.length < columns) cells.push(el('td'));
  tr.append(...cells);
  return tr;
}

render();
post({ type: 'ready' });
