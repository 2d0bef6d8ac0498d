/**
 * Argument parsing of `x-quant` (node:util parseArgs). Flags mirror `quantizeModel`'s options:
 *
 *   x-quant <model-dir> --out <dir> [--rotate dartquant|hadamard|orthogonal|none] [--w 2|4|8|16]
 *           [--group 128] [--gptq] [--a 4|8|16] [--calibration <file>] [--samples 32] [--seqlen 512]
 *           [--seed 0] [--backend node|web] [--json]
 */
import { parseArgs } from 'node:util';
import type { QuantizeModelFolderOptions } from '../model/quantize-model-folder';

export const usage = `Usage: x-quant <model-dir> --out <dir> [options]

Rotates (QuaRot / DartQuant) and quantizes an ONNX decoder (<model-dir>/onnx/model.onnx) to MatMulNBits.

Options:
  --rotate <method>     dartquant | hadamard | orthogonal | none        (default hadamard)
  --w <bits>            weight bits: 2 | 4 | 8 | 16 (16 = keep float)    (default 4)
  --group <size>        weight group along K, power of two >= 16; 0 = per channel (default 128)
  --asymmetric          asymmetric weight grid                            (default symmetric)
  --gptq                GPTQ instead of RTN (needs --calibration)
  --damping <x>         GPTQ damping, fraction of mean diag(H)             (default 0.01)
  --act-order           GPTQ act order
  --no-sequential       GPTQ Hessians from one pass on the float model (default: layer by layer)
  --clip <c|mse>        weight clip ratio in (0, 1], or mse grid search   (default 1)
  --quantize-lm-head    quantize the LM head too                           (default: kept float)
  --quantize-embedding  4-bit token embedding (GatherBlockQuantized)       (default: kept float)
  --a <bits>            activation bits: 16 | 8 (MatMulNBits accuracy_level 4: real int8)
                        | 4 (per-token fake quant nodes: simulated W4A4 for evaluation) (default 16)
  --no-r3 / --no-r4     skip the online Hadamard on Q/K (R3) or before down_proj (R4)
  --calibration <file>  text (tokenized with the folder's tokenizer.json) or .json token-id arrays
  --samples <n>         calibration windows                                (default 32)
  --seqlen <n>          tokens per window                                  (default 512)
  --seed <n>            seed of rotations and sampling                     (default 0)
  --backend <name>      node | web, runs calibration                       (default node, then web)
  --out <dir>           output folder (required; not inside <model-dir>)
  --json                print the JSON report on stdout
  -h, --help            this text

Exit codes: 0 success, 1 a library error (XError), 2 a usage error.`;

export type ParsedCli =
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string }
  | { kind: 'run'; modelDir: string; outDir: string; json: boolean; options: QuantizeModelFolderOptions };

function integer(
  value: string | undefined,
  flag: string,
  allowed?: readonly number[],
): number | string | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) return `--${flag} must be a non-negative integer, got ${value}`;
  if (allowed && !allowed.includes(n)) return `--${flag} must be one of ${allowed.join(', ')}, got ${value}`;
  return n;
}

export function parseCliArgs(argv: readonly string[]): ParsedCli {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        rotate: { type: 'string' },
        w: { type: 'string' },
        group: { type: 'string' },
        asymmetric: { type: 'boolean' },
        gptq: { type: 'boolean' },
        damping: { type: 'string' },
        'act-order': { type: 'boolean' },
        'no-sequential': { type: 'boolean' },
        clip: { type: 'string' },
        'quantize-lm-head': { type: 'boolean' },
        'quantize-embedding': { type: 'boolean' },
        a: { type: 'string' },
        'no-r3': { type: 'boolean' },
        'no-r4': { type: 'boolean' },
        calibration: { type: 'string' },
        samples: { type: 'string' },
        seqlen: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { kind: 'help' };
  if (parsed.positionals.length !== 1) {
    return {
      kind: 'usage-error',
      message: `expected exactly one <model-dir>, got ${parsed.positionals.length}`,
    };
  }
  if (typeof values.out !== 'string') return { kind: 'usage-error', message: '--out <dir> is required' };
  const rotate = (values.rotate as string | undefined) ?? 'hadamard';
  if (!['dartquant', 'hadamard', 'orthogonal', 'none'].includes(rotate)) {
    return {
      kind: 'usage-error',
      message: `--rotate must be dartquant, hadamard, orthogonal or none, got ${rotate}`,
    };
  }
  const backend = values.backend as string | undefined;
  if (backend !== undefined && backend !== 'node' && backend !== 'web') {
    return { kind: 'usage-error', message: `--backend must be node or web, got ${backend}` };
  }
  const numbers = {
    w: integer(values.w as string | undefined, 'w', [2, 4, 8, 16]),
    group: integer(values.group as string | undefined, 'group'),
    a: integer(values.a as string | undefined, 'a', [4, 8, 16]),
    samples: integer(values.samples as string | undefined, 'samples'),
    seqlen: integer(values.seqlen as string | undefined, 'seqlen'),
    seed: integer(values.seed as string | undefined, 'seed'),
  };
  for (const value of Object.values(numbers))
    if (typeof value === 'string') return { kind: 'usage-error', message: value };
  if (numbers.a === 4) {
    return {
      kind: 'usage-error',
      message:
        '--a 4 is not supported: ONNX Runtime has no int4 activation kernel (use --a 8 for W4A8, or 16)',
    };
  }
  if ((values.gptq || rotate === 'dartquant') && typeof values.calibration !== 'string') {
    return {
      kind: 'usage-error',
      message: `${values.gptq ? '--gptq' : '--rotate dartquant'} needs --calibration <file>`,
    };
  }
  const n = numbers as Record<string, number | undefined>;
  const real = (value: unknown, flag: string): number | string | undefined => {
    if (value === undefined) return undefined;
    const x = Number(value);
    return Number.isFinite(x) && x >= 0 ? x : `--${flag} must be a non-negative number, got ${String(value)}`;
  };
  const damping = real(values.damping, 'damping');
  if (typeof damping === 'string') return { kind: 'usage-error', message: damping };
  const clip = values.clip === 'mse' ? 'mse' : real(values.clip, 'clip');
  if (typeof clip === 'string' && clip !== 'mse') return { kind: 'usage-error', message: clip };
  const options: QuantizeModelFolderOptions = {
    rotate: rotate as QuantizeModelFolderOptions['rotate'],
    ...(n.w === undefined ? {} : { weightBits: n.w as 2 | 4 | 8 | 16 }),
    ...(n.group === undefined ? {} : { groupSize: n.group }),
    ...(values.asymmetric ? { symmetric: false } : {}),
    ...(values.gptq ? { gptq: true } : {}),
    ...(damping === undefined ? {} : { damping }),
    ...(values['act-order'] ? { actOrder: true } : {}),
    ...(values['no-sequential'] ? { sequential: false } : {}),
    ...(clip === undefined ? {} : { clip: clip as number | 'mse' }),
    ...(values['quantize-lm-head'] ? { quantizeLmHead: true } : {}),
    ...(values['quantize-embedding'] ? { quantizeEmbedding: true } : {}),
    ...(n.a === undefined ? {} : { activationBits: n.a as 4 | 8 | 16 }),
    ...(values['no-r3'] ? { r3: false } : {}),
    ...(values['no-r4'] ? { r4: false } : {}),
    ...(n.seed === undefined ? {} : { seed: n.seed }),
    ...(backend === undefined ? {} : { backend: backend as 'node' | 'web' }),
    ...(typeof values.calibration === 'string'
      ? { calibration: { file: values.calibration, samples: n.samples, seqlen: n.seqlen, seed: n.seed } }
      : {}),
  };
  return {
    kind: 'run',
    modelDir: parsed.positionals[0],
    outDir: values.out,
    json: values.json === true,
    options,
  };
}
