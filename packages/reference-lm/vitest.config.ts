import { createVitestConfig } from '../../tools/vitest-preset';

export default createVitestConfig();
