import { parseArgs } from 'node:util';
import type { BackendName } from '@x/core';
import type { DsnotSkip } from '../methods/dsnot';
import type { PruneModelFolderOptions } from '../model/prune-model-folder';

export const USAGE = `Usage: x-prune <model-dir> --out <dir> [options]

Prunes <model-dir>/onnx/model.onnx (a Llama-family decoder) and writes <dir> in the same layout
(onnx/model.onnx + external data, the folder's json/tokenizer files, prune-report.json).

  --method <name>           magnitude | wanda | sparsegpt (default wanda)
  --sparsity <ratio>        unstructured sparsity in (0, 1) (default 0.5)
  --nm <N:M>                N:M instead: N nonzero of every M inputs, e.g. 2:4, 4:8, 8:16
  --allocation <kind>       uniform (default) | owl (outlier-weighted, lambda 0.08, M 5) | losa (CKA importance)
  --dsnot                   refine masks with DSnoT (paper defaults: 50 cycles, threshold 0.1)
  --dsnot-skip <part>       mlp (default, as the official code) | self_attn | no_skip
  --dsnot-cycles <scaling>  none (default: T = 50 on every row) | row-width (T = 50·in/4096, for narrow models)
  --calibration <file>      text (tokenized with the folder's tokenizer.json) or a .json of token-id arrays
  --samples <n>             calibration sequences (default 64)
  --seqlen <n>              tokens per sequence (default 512)
  --seed <n>                seed of the calibration windows (default 0)
  --layers <list>           decoder layers to prune, e.g. 0,1,5 (default all)
  --backend <name>          node | web (default: node, else web)
  --threads <n>             ORT threads
  --measure-error <bool>    report (2/n)||(W-What)X^T||^2 per linear (default true; costs in^2 floats per linear)
  --json                    print the report as JSON on stdout
  -h, --help                this text

Exit codes: 0 success, 1 pruning error (XError), 2 usage error.`;

/** A usage error: the CLI prints it with the usage text and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliCommand {
  help: boolean;
  modelDir: string;
  outDir: string;
  json: boolean;
  options: PruneModelFolderOptions;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new UsageError(`${flag} must be an integer, got ${value}`);
  return number;
}

/** Parses the command line (without `node` and the script). Throws `UsageError` on anything malformed. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true, modelDir: '', outDir: '', json: false, options: {} };
  if (positionals.length !== 1) throw new UsageError('expected exactly one <model-dir>');
  if (!values.out) throw new UsageError('--out <dir> is required');
  if (values.sparsity !== undefined && values.nm !== undefined)
    throw new UsageError('give --sparsity or --nm, not both');
  let sparsity: number | string = 0.5;
  if (values.nm !== undefined) sparsity = values.nm;
  else if (values.sparsity !== undefined) {
    sparsity = Number(values.sparsity);
    if (Number.isNaN(sparsity)) throw new UsageError(`--sparsity must be a number, got ${values.sparsity}`);
  }
  const skip = values['dsnot-skip'];
  if (skip !== undefined && !['mlp', 'self_attn', 'no_skip'].includes(skip)) {
    throw new UsageError(`--dsnot-skip must be mlp, self_attn or no_skip, got ${skip}`);
  }
  const cycles = values['dsnot-cycles'];
  if (cycles !== undefined && cycles !== 'none' && cycles !== 'row-width') {
    throw new UsageError(`--dsnot-cycles must be none or row-width, got ${cycles}`);
  }
  const backend = values.backend;
  if (backend !== undefined && backend !== 'node' && backend !== 'web') {
    throw new UsageError(`--backend must be node or web, got ${backend}`);
  }
  const measure = values['measure-error'];
  if (measure !== undefined && measure !== 'true' && measure !== 'false') {
    throw new UsageError(`--measure-error must be true or false, got ${measure}`);
  }
  const allocation = values.allocation;
  if (allocation !== undefined && allocation !== 'uniform' && allocation !== 'owl' && allocation !== 'losa') {
    throw new UsageError(`--allocation must be uniform, owl or losa, got ${allocation}`);
  }
  const layers = values.layers?.split(',').map((layer) => integer(layer.trim(), '--layers') as number);
  const options: PruneModelFolderOptions = {
    method: values.method ?? 'wanda',
    sparsity,
    allocation: (allocation as 'uniform' | 'owl' | 'losa' | undefined) ?? 'uniform',
    dsnot: values.dsnot
      ? { skipLayer: (skip ?? 'mlp') as DsnotSkip, scaleMaxCycles: cycles ?? 'none' }
      : false,
    layers,
    backend: (backend as BackendName | undefined) ?? { prefer: ['node', 'web'] },
    threads: integer(values.threads, '--threads'),
    measureError: measure === undefined ? true : measure === 'true',
  };
  if (values.calibration) {
    options.calibration = {
      file: values.calibration,
      samples: integer(values.samples, '--samples') ?? 64,
      seqlen: integer(values.seqlen, '--seqlen') ?? 512,
      seed: integer(values.seed, '--seed') ?? 0,
    };
  }
  return { help: false, modelDir: positionals[0], outDir: values.out, json: Boolean(values.json), options };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      method: { type: 'string' },
      sparsity: { type: 'string' },
      nm: { type: 'string' },
      dsnot: { type: 'boolean' },
      allocation: { type: 'string' },
      'dsnot-skip': { type: 'string' },
      'dsnot-cycles': { type: 'string' },
      calibration: { type: 'string' },
      samples: { type: 'string' },
      seqlen: { type: 'string' },
      seed: { type: 'string' },
      layers: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      'measure-error': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
