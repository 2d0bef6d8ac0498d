import { parseArgs } from 'node:util';
import type { BackendName } from '@x/core';
import type { GenerationMode } from '../policy/types';

/** Parsed `x-kv generate` arguments. */
export interface GenerateCommand {
  modelDir: string;
  promptFile: string;
  maxNewTokens: number;
  policy: string;
  policyOptions: Record<string, unknown>;
  mode: GenerationMode;
  backend: BackendName;
  json: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
  ignoreEos: boolean;
  threads: number | undefined;
}

/** A usage error (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const GENERATE_USAGE = `usage: x-kv generate <model-dir> --prompt-file <file> [options]

  --max-new-tokens <n>       tokens to generate (default 32)
  --policy <name>            full | streaming | snapkv | razor | kivi2 | kivi4 | kivi8 | kvtuner (default full)
  --policy-option <k=v>      a policy option, repeatable (e.g. --policy-option window=508)
  --mode <stock|split>       stock graph or per-layer split (default stock)
  --backend <node|web>       onnxruntime-node or onnxruntime-web (default node)
  --temperature <t>          0 = greedy (default 0)
  --top-k <k>                sampling: keep the k best (default 0 = all)
  --top-p <p>                sampling: nucleus mass (default 1)
  --repetition-penalty <r>   CTRL penalty (default 1 = off)
  --seed <s>                 sampling seed (default 0)
  --ignore-eos               do not stop at the tokenizer's EOS
  --threads <n>              ORT compute threads
  --json                     print one JSON line with the result on stdout
  -h, --help                 this text`;

function number(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return parsed;
}

function parsePolicyOption(text: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--policy-option must look like key=value, got '${text}'`);
  const key = text.slice(0, at);
  const raw = text.slice(at + 1);
  const numeric = Number(raw);
  return [key, raw.trim() !== '' && Number.isFinite(numeric) ? numeric : raw];
}

/** Parses `generate`'s arguments (after the subcommand). Throws `UsageError`. */
export function parseGenerateArgs(args: string[]): GenerateCommand | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'prompt-file': { type: 'string' },
        'max-new-tokens': { type: 'string' },
        policy: { type: 'string' },
        'policy-option': { type: 'string', multiple: true },
        mode: { type: 'string' },
        backend: { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        'repetition-penalty': { type: 'string' },
        seed: { type: 'string' },
        'ignore-eos': { type: 'boolean' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return 'help';
  if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one <model-dir>');
  const promptFile = values['prompt-file'];
  if (typeof promptFile !== 'string') throw new UsageError('--prompt-file is required');
  const mode = (values.mode as string | undefined) ?? 'stock';
  if (mode !== 'stock' && mode !== 'split')
    throw new UsageError(`--mode must be stock or split, got '${mode}'`);
  const backend = (values.backend as string | undefined) ?? 'node';
  if (backend !== 'node' && backend !== 'web')
    throw new UsageError(`--backend must be node or web, got '${backend}'`);
  const threadsText = values.threads as string | undefined;
  return {
    modelDir: parsed.positionals[0],
    promptFile,
    maxNewTokens: number('max-new-tokens', values['max-new-tokens'] as string | undefined, 32, true),
    policy: (values.policy as string | undefined) ?? 'full',
    policyOptions: Object.fromEntries(
      ((values['policy-option'] as string[] | undefined) ?? []).map(parsePolicyOption),
    ),
    mode,
    backend,
    json: values.json === true,
    temperature: number('temperature', values.temperature as string | undefined, 0, false),
    topK: number('top-k', values['top-k'] as string | undefined, 0, true),
    topP: number('top-p', values['top-p'] as string | undefined, 1, false),
    repetitionPenalty: number(
      'repetition-penalty',
      values['repetition-penalty'] as string | undefined,
      1,
      false,
    ),
    seed: number('seed', values.seed as string | undefined, 0, false),
    ignoreEos: values['ignore-eos'] === true,
    threads: threadsText === undefined ? undefined : number('threads', threadsText, 0, true),
  };
}
