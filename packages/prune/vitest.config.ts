import { createVitestConfig } from '../../tools/vitest-preset';

export default createVitestConfig({ setupFiles: ['./test/setup/protobuf-long.ts'] });
