// The end-to-end demo grows with the product; until @x/core's model I/O lands it only checks the workspace.
import { createRng } from '@x/core';

console.log('x monorepo: workspace OK, seeded rng sample', createRng(1).nextU32());
