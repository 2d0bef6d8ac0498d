import { readFile } from 'node:fs/promises';
import { isXError, loadTokenizer } from '@x/core';
import { createKvPolicy } from '../policy/registry';
import { PROFILE_USAGE, runProfileCommand } from '../profile/profile-command';
import { createGenerator } from '../runtime/create-generator';
import type { GenerationStep } from '../runtime/types';
import { GENERATE_USAGE, parseGenerateArgs, UsageError } from './parse-generate-args';

/** Where the CLI writes; `process` in the bin, buffers in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
  /** Draw the progress bar in place (a TTY). */
  interactive?: boolean;
}

const USAGE = `usage: x-kv <command>\n\ncommands:\n  generate   generate text with a KV policy\n  profile    profile retrieval heads (RazorAttention) and search KV bit widths (KVTuner)\n\n${GENERATE_USAGE}\n\n${PROFILE_USAGE}`;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(2)} MiB`;
}

function progressLine(step: GenerationStep): string {
  const width = 20;
  const filled = Math.round((step.done / step.total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step.done}/${step.total} ${step.phase} ${step.ms.toFixed(1)} ms  pos ${step.position}  slots ${step.slots}  kv ${mib(step.kvBytes.resident)} (peak ${mib(step.kvBytes.peak)})`;
}

/** Runs `x-kv` with `argv` (after the program name). Returns the exit code: 0 ok, 1 XError, 2 usage. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help') {
      io.stdout(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'profile') return await runProfileCommand(rest, io);
    if (command !== 'generate') throw new UsageError(`unknown command '${command}'`);
    const parsed = parseGenerateArgs(rest);
    if (parsed === 'help') {
      io.stdout(`${GENERATE_USAGE}\n`);
      return 0;
    }
    const policy = createKvPolicy(parsed.policy, parsed.policyOptions);
    const tokenizer = await loadTokenizer(parsed.modelDir);
    const prompt = await readFile(parsed.promptFile, 'utf8').catch((error: unknown) => {
      throw new UsageError(`cannot read --prompt-file ${parsed.promptFile}: ${(error as Error).message}`);
    });
    const generator = await createGenerator(parsed.modelDir, {
      mode: parsed.mode,
      backend: parsed.backend,
      policy,
      sessionOptions: parsed.threads === undefined ? undefined : { threads: parsed.threads },
    });
    try {
      const inputIds = tokenizer.encode(prompt);
      const result = await generator.generate(inputIds, {
        maxNewTokens: parsed.maxNewTokens,
        temperature: parsed.temperature,
        topK: parsed.topK,
        topP: parsed.topP,
        repetitionPenalty: parsed.repetitionPenalty,
        seed: parsed.seed,
        stopIds: parsed.ignoreEos || tokenizer.eosId === undefined ? [] : [tokenizer.eosId],
        signal: io.signal,
        onStep: (step) => io.stderr(io.interactive ? `\r${progressLine(step)}` : `${progressLine(step)}\n`),
      });
      if (io.interactive) io.stderr('\n');
      const text = tokenizer.decode(result.tokens, { skipSpecialTokens: true });
      if (parsed.json) {
        io.stdout(
          `${JSON.stringify({
            tokens: result.tokens,
            text,
            kvBytes: result.kvBytes,
            slots: result.slots,
            promptTokens: inputIds.length,
            stopReason: result.stopReason,
            mode: result.mode,
            backend: result.backend,
            policy: result.policy,
            options: result.options,
            prefillMs: result.prefillMs,
            decodeMs: result.decodeMs,
            decodeTokensPerSecond: result.decodeTokensPerSecond,
          })}\n`,
        );
      } else {
        io.stdout(`${text}\n`);
        io.stderr(
          `${result.tokens.length} tokens, ${result.decodeTokensPerSecond.toFixed(1)} tok/s decode, kv resident ${mib(result.kvBytes.resident)}, peak ${mib(result.kvBytes.peak)}\n`,
        );
      }
    } finally {
      await generator.release();
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`x-kv: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (isXError(error)) {
      io.stderr(`x-kv: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
