import { describe, expect, it } from 'vitest';
import { isPruneError } from '../errors';
import { sampleCalibrationWindows } from './sample-windows';

describe('sampleCalibrationWindows', () => {
  const stream = Array.from({ length: 100 }, (_, index) => index);

  it('returns seeded windows of consecutive tokens inside the stream', () => {
    const windows = sampleCalibrationWindows(stream, { samples: 5, seqlen: 10, seed: 3 });
    expect(windows).toHaveLength(5);
    for (const window of windows) {
      expect(window).toHaveLength(10);
      window.forEach((token, t) => {
        expect(token).toBe(window[0] + t);
      });
      expect(window[9]).toBeLessThan(100);
    }
    expect(sampleCalibrationWindows(stream, { samples: 5, seqlen: 10, seed: 3 })).toEqual(windows);
    expect(sampleCalibrationWindows(stream, { samples: 5, seqlen: 10, seed: 4 })).not.toEqual(windows);
    expect(sampleCalibrationWindows(stream, { samples: 2, seqlen: 100 })).toEqual([stream, stream]);
  });

  it('refuses a stream shorter than seqlen', () => {
    try {
      sampleCalibrationWindows(stream, { samples: 1, seqlen: 101 });
      expect.unreachable();
    } catch (error) {
      expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
    }
  });
});
