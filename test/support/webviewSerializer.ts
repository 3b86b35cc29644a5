/**
 * What `webview.postMessage` costs the extension host, outside VS Code: VS Code serializes every
 * message with JSON.stringify and a replacer that lifts ArrayBuffers and typed arrays out as
 * binary (src/vs/workbench/api/common/extHostWebviewMessaging.ts, serializeWebviewMessage, for
 * extensions whose engine is ≥ 1.57 as ours is). The replacer is called for every value, so a
 * plain array of numbers costs far more than `JSON.stringify` alone, and a Float64Array almost
 * nothing. This is that algorithm, for the plain-Node tests; the extension-host suite measures
 * the real postMessage.
 */

/** Serializes `message` as VS Code does before posting it to a webview: its JSON text and the binary buffers lifted out. */
export function serializeLikeVsCode(message: unknown): { json: string; buffers: ArrayBufferLike[] } {
  const buffers: ArrayBufferLike[] = [];
  const indexOf = (buffer: ArrayBufferLike): number => {
    let index = buffers.indexOf(buffer);
    if (index < 0) index = buffers.push(buffer) - 1;
    return index;
  };
  const replacer = (_key: string, value: unknown): unknown => {
    if (value instanceof ArrayBuffer) return { $$vscode_array_buffer_reference$$: true, index: indexOf(value) };
    if (ArrayBuffer.isView(value)) {
      return { $$vscode_array_buffer_reference$$: true, index: indexOf(value.buffer), view: { type: value.constructor.name, byteLength: value.byteLength, byteOffset: value.byteOffset } };
    }
    return value;
  };
  const json = JSON.stringify(message, replacer);
  // VS Code then wraps each buffer (VSBuffer.wrap) and writes it into the RPC message: a copy.
  for (const buffer of buffers) new Uint8Array(buffer as ArrayBuffer).slice();
  return { json, buffers };
}
