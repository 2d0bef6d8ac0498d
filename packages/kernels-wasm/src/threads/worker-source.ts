/**
 * The worker's program, shipped as a string so it needs no file of its own: Node runs it with
 * `new Worker(code, { eval: true })`, browsers from a Blob URL. It instantiates the shared-memory
 * kernels module on the main thread's memory, moves its stack pointer to its own region, and
 * runs `{ name, args }` calls on request. No imports, no allocation of its own.
 */
export const workerSource = `
'use strict';
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
let exports = null;
function reply(message) { port.postMessage(message); }
function handle(message) {
  if (message.type === 'init') {
    try {
      const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
      exports = instance.exports;
      exports.__stack_pointer.value = message.stackTop;
      reply({ type: 'ready' });
    } catch (error) {
      reply({ type: 'error', id: -1, message: String(error) });
    }
    return;
  }
  if (message.type === 'run') {
    try {
      for (const call of message.calls) exports[call.name].apply(null, call.args);
      reply({ type: 'done', id: message.id });
    } catch (error) {
      reply({ type: 'error', id: message.id, message: String(error) });
    }
  }
}
if (typeof port.on === 'function') port.on('message', handle);
else port.addEventListener('message', (event) => handle(event.data));
`;
