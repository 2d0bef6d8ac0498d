import type { ProgressEvent } from '../errors';

/** Where a progress bar draws: a stream with `write`, a TTY when `isTTY` (e.g. `process.stderr`). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * The progress bar the `x-*` CLIs draw for an `onProgress` callback: on a terminal one line redrawn in place,
 * `phase [#######.....] done/total`, ended when a phase completes; elsewhere (logs, CI) plain lines at each new
 * phase, each tenth of it, and its end, so output stays bounded whatever `total` is.
 */
export function createProgressBar(
  stream: ProgressStream,
  options: { width?: number; phaseWidth?: number } = {},
): (event: ProgressEvent) => void {
  const width = options.width ?? 24;
  const phaseWidth = options.phaseWidth ?? 16;
  let lastPhase = '';
  let lastTenth = -1;
  return ({ phase, done, total }) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const finished = done >= total;
    if (stream.isTTY) {
      const filled = Math.round(fraction * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      stream.write(`\r${phase.padEnd(phaseWidth)} [${bar}] ${done}/${total}${finished ? '\n' : ''}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (phase !== lastPhase || tenth !== lastTenth) stream.write(`${phase} ${done}/${total}\n`);
      lastTenth = tenth;
    }
    lastPhase = phase;
  };
}
