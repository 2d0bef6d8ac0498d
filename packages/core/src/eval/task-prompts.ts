import { XError } from '../errors';
import { createRng, type Rng } from '../rng';

/** Spec-Bench-like categories (Xia et al. 2024, arXiv 2401.07851; kv-cache/spec-decode brief §7). */
export type TaskCategory = 'summarization' | 'code-edit' | 'qa' | 'multi-turn';

export const TASK_CATEGORIES: readonly TaskCategory[] = Object.freeze([
  'summarization',
  'code-edit',
  'qa',
  'multi-turn',
]);

export interface TaskPrompt {
  /** `<category>-<index>`, stable per seed. */
  id: string;
  category: TaskCategory;
  /** The prompt text (no BOS: encode it with special tokens). */
  text: string;
  /** Which text it was cut from and the character offset. */
  origin: { source: 'text' | 'code'; offset: number };
}

export interface CreateTaskPromptsOptions {
  /** Held-out prose (the passages of summarization, QA and multi-turn prompts). */
  text: string;
  /** Held-out code, files introduced by `# file: <path>` lines (the reference model's code.txt), or one file. */
  code: string;
  /**
   * Prompts per category.
   * @defaultValue 5
   */
  perCategory?: number;
  /**
   * Seed of `createRng`.
   * @defaultValue 0
   */
  seed?: number;
  /**
   * Approximate passage / code length in characters (cut at a line or sentence end).
   * @defaultValue 1500
   */
  passageChars?: number;
}

/**
 * A fixed, seeded set of task prompts for speculative-decoding measurements, in Spec-Bench-like categories:
 * summarize a passage, edit or continue a code file, answer a question from a given passage, and a multi-turn
 * chat-like continuation. All content is cut from held-out text and code, so a model trained on the training side
 * has not seen it; the same inputs and seed give the same prompts. Categories alternate in the output
 * (summarization-0, code-edit-0, qa-0, multi-turn-0, summarization-1, ...).
 *
 * Errors: `X_INVALID_ARGUMENT` (options), `X_EVAL` when a text is shorter than one passage.
 */
export function createTaskPrompts(options: CreateTaskPromptsOptions): TaskPrompt[] {
  const perCategory = options.perCategory ?? 5;
  const passageChars = options.passageChars ?? 1500;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(perCategory) || perCategory < 1)
    throw invalid('perCategory', perCategory, 'an integer >= 1');
  if (!Number.isInteger(passageChars) || passageChars < 100)
    throw invalid('passageChars', passageChars, 'an integer >= 100');
  for (const field of ['text', 'code'] as const) {
    if (typeof options[field] !== 'string') throw invalid(field, typeof options[field], 'a string');
    if (options[field].length < 2 * passageChars) {
      throw new XError(
        'X_EVAL',
        `createTaskPrompts: options.${field} has ${options[field].length} characters, fewer than 2 × passageChars (${passageChars})`,
        { details: { option: field, length: options[field].length } },
      );
    }
  }
  const rng = createRng(seed);
  const files = splitCodeFiles(options.code);
  const prompts: TaskPrompt[] = [];
  for (let index = 0; index < perCategory; index++) {
    for (const category of TASK_CATEGORIES) {
      const id = `${category}-${index}`;
      if (category === 'code-edit') {
        const file = files[rng.int(files.length)];
        const snippet = cutLines(file.body, passageChars);
        const text =
          index % 2 === 0 ? codeEditPrompt(file.path, snippet, rng) : codeContinuePrompt(file.path, snippet);
        prompts.push({ id, category, text, origin: { source: 'code', offset: file.offset } });
        continue;
      }
      const { passage, offset } = cutPassage(options.text, passageChars, rng);
      const text =
        category === 'summarization'
          ? `Summarize the following passage in a few sentences.\n\n${passage}\n\nSummary:`
          : category === 'qa'
            ? qaPrompt(passage, rng)
            : multiTurnPrompt(passage);
      prompts.push({ id, category, text, origin: { source: 'text', offset } });
    }
  }
  return prompts;
}

function codeEditPrompt(path: string, snippet: string, rng: Rng): string {
  const names = [
    ...new Set([...snippet.matchAll(/\b(?:def|class)\s+([A-Za-z_]\w*)/g)].map((match) => match[1])),
  ];
  const name = names.length > 0 ? names[rng.int(names.length)] : undefined;
  const instruction = name
    ? `Rewrite the file with \`${name}\` renamed to \`${name}_v2\` everywhere; change nothing else.`
    : 'Rewrite the file with every comment removed; change nothing else.';
  return `# ${path}\n\`\`\`python\n${snippet}\`\`\`\n\n${instruction}\n\n\`\`\`python\n`;
}

function codeContinuePrompt(path: string, snippet: string): string {
  return `Continue the following file.\n\n# ${path}\n\`\`\`python\n${snippet}`;
}

function qaPrompt(passage: string, rng: Rng): string {
  const names = [...new Set(passage.match(/(?<=[a-z,;] )[A-Z][a-z]{3,}/g) ?? [])];
  const words = names.length > 0 ? names : [...new Set(passage.match(/\b[a-z]{7,}\b/g) ?? ['this'])];
  const subject = words[rng.int(words.length)];
  return `Read the passage and answer the question using only the passage.\n\nPassage:\n${passage}\n\nQuestion: What does the passage say about ${subject}?\nAnswer:`;
}

function multiTurnPrompt(passage: string): string {
  const sentences = passage.match(/[^.!?]+[.!?]+["')\]]*\s*/g) ?? [passage];
  const turns: string[] = [];
  const perTurn = Math.max(1, Math.floor(sentences.length / 5));
  for (let start = 0, turn = 0; start < sentences.length && turn < 5; start += perTurn, turn++) {
    const content = sentences
      .slice(start, turn === 4 ? sentences.length : start + perTurn)
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    turns.push(`${turn % 2 === 0 ? 'User' : 'Assistant'}: ${content}`);
  }
  if (turns.length % 2 === 0) turns.push('User: Please go on.');
  return `${turns.join('\n')}\nAssistant:`;
}

/** A passage of about `chars` characters starting at a paragraph or line start, ending at a sentence or line end. */
function cutPassage(text: string, chars: number, rng: Rng): { passage: string; offset: number } {
  const guess = rng.int(text.length - 2 * chars);
  const paragraph = text.indexOf('\n\n', guess);
  const line = text.indexOf('\n', guess);
  let offset = paragraph >= 0 && paragraph - guess < chars / 2 ? paragraph + 2 : line >= 0 ? line + 1 : guess;
  while (offset < text.length && /\s/.test(text[offset])) offset++;
  const window = text.slice(offset, offset + chars);
  const end = Math.max(window.lastIndexOf('. '), window.lastIndexOf('.\n'), window.lastIndexOf('\n'));
  return { passage: (end > chars / 2 ? window.slice(0, end + 1) : window).trim(), offset };
}

/** Whole lines of `body` up to about `chars` characters. */
function cutLines(body: string, chars: number): string {
  if (body.length <= chars) return body.endsWith('\n') ? body : `${body}\n`;
  const end = body.lastIndexOf('\n', chars);
  return body.slice(0, end > 0 ? end + 1 : chars);
}

function splitCodeFiles(code: string): { path: string; body: string; offset: number }[] {
  const header = /^# file: (.+)$/gm;
  const starts = [...code.matchAll(header)];
  if (starts.length === 0) return [{ path: 'file.py', body: code, offset: 0 }];
  return starts.map((match, index) => {
    const bodyStart = (match.index ?? 0) + match[0].length + 1;
    const end = index + 1 < starts.length ? (starts[index + 1].index ?? code.length) : code.length;
    return { path: match[1].trim(), body: code.slice(bodyStart, end), offset: match.index ?? 0 };
  });
}

function invalid(option: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `createTaskPrompts: options.${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
