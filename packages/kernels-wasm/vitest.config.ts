import { createVitestConfig } from '../../tools/vitest-preset';

// Node 20 runs relaxed SIMD only behind a flag; pass it so both builds are tested.
export default createVitestConfig({ execArgv: ['--experimental-wasm-relaxed-simd'] });
