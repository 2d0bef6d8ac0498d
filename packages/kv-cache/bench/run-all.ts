// Every kv-cache benchmark in one process; JSON lines on stdout.
await import('./decode.bench');

export {};
