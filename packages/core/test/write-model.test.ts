import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isXError, type ProgressEvent, readModel, writeModel } from '../src/index';
import { buildMlp, writeWithLayout } from './helpers/models';
import { useTempDir } from './helpers/tmp-dir';

const tempDir = useTempDir();

describe('writeModel', () => {
  it('reports progress per streamed tensor and echoes resolved defaults', async () => {
    const model = await readModel(
      writeWithLayout(tempDir(), buildMlp(), { W1: { location: 'a.bin', offset: 0 } }),
    );
    const events: ProgressEvent[] = [];
    const result = await writeModel(model, join(tempDir(), 'm.onnx'), {
      onProgress: (event) => events.push(event),
    });
    // The source uses external data, so the default is external with sizeThreshold 1024: W1 and W2.
    expect(result.options).toEqual({
      externalData: { location: 'm.onnx_data', maxFileBytes: 2 ** 31 - 1, sizeThreshold: 1024 },
    });
    expect(events.map((event) => [event.phase, event.done, event.total])).toEqual([
      ['write-model', 1, 3],
      ['write-model', 2, 3],
      ['write-model', 3, 3],
    ]);
    expect(result.bytesWritten).toBe(
      result.files.reduce((sum, file) => sum + readFileSync(file).byteLength, 0),
    );
  });

  it('an abort leaves an existing output untouched and no temporary files behind', async () => {
    const model = await readModel(
      writeWithLayout(tempDir(), buildMlp(), { W1: { location: 'a.bin', offset: 0 } }),
    );
    const dir = tempDir();
    const out = join(dir, 'm.onnx');
    writeFileSync(out, 'previous version');
    const controller = new AbortController();
    let error: unknown;
    try {
      await writeModel(model, out, {
        externalData: { sizeThreshold: 0 },
        signal: controller.signal,
        onProgress: (event) => {
          if (event.done === 2) controller.abort();
        },
      });
    } catch (e) {
      error = e;
    }
    expect(isXError(error) && error.code).toBe('X_ABORTED');
    expect(readdirSync(dir)).toEqual(['m.onnx']);
    expect(readFileSync(out, 'utf8')).toBe('previous version');
    // Without the abort the same call replaces the old file.
    await writeModel(model, out, { externalData: { sizeThreshold: 0 } });
    expect((await readModel(out)).listInitializers()).toHaveLength(4);
  });

  it('rejects bad external-data options with X_INVALID_ARGUMENT naming the option', async () => {
    const model = await readModel(writeWithLayout(tempDir(), buildMlp(), {}));
    for (const [externalData, option] of [
      [{ location: '../escape.bin' }, 'externalData.location'],
      [{ maxFileBytes: 0 }, 'externalData.maxFileBytes'],
      [{ sizeThreshold: -1 }, 'externalData.sizeThreshold'],
    ] as const) {
      try {
        await writeModel(model, join(tempDir(), 'm.onnx'), { externalData });
        expect.unreachable();
      } catch (e) {
        expect(isXError(e) && e.code).toBe('X_INVALID_ARGUMENT');
        expect((e as Error).message).toContain(option);
      }
    }
  });
});
