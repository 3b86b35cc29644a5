/** Command ids, as declared in package.json (a test checks the two lists match). */
export const enum CommandId {
  Attach = 'memoryWatch.attach',
  Detach = 'memoryWatch.detach',
  ShowGraph = 'memoryWatch.showGraph',
  FreeOSMemory = 'memoryWatch.freeOSMemory',
  AddFreeOSMemoryHook = 'memoryWatch.addFreeOSMemoryHook',
}
