// Writes tiny-tokenizer/{tokenizer.json,tokenizer_config.json}: a byte-level BPE with the reference model's
// layout (digits split one by one, GPT-2 byte-level pre-tokenizer, <|endoftext|> = id 0 prepended as BOS by
// TemplateProcessing) and 255 merges learned from the text given on the command line.
// Run: npx tsx src/tokenizer/__fixtures__/make-tiny-tokenizer.ts <text-file>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MERGES = 255;
const text = readFileSync(process.argv[2] ?? '', 'utf8').slice(0, 60_000);

// GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n.
const byteChar: string[] = [];
let extra = 0;
for (let byte = 0; byte < 256; byte++) {
  const printable =
    (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  byteChar[byte] = String.fromCodePoint(printable ? byte : 256 + extra++);
}
const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const counts = new Map<string, number>();
for (const piece of text.split(/(\p{N})/u)) {
  for (const word of piece.match(pattern) ?? []) {
    const mapped = [...new TextEncoder().encode(word)].map((byte) => byteChar[byte]).join('\u0001');
    counts.set(mapped, (counts.get(mapped) ?? 0) + 1);
  }
}
let words = [...counts].map(([word, count]) => ({ symbols: word.split('\u0001'), count }));
const vocab: Record<string, number> = { '<|endoftext|>': 0 };
for (let byte = 0; byte < 256; byte++) vocab[byteChar[byte]] = byte + 1;
const merges: [string, string][] = [];
for (let round = 0; round < MERGES; round++) {
  const pairs = new Map<string, number>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]}\u0001${symbols[i + 1]}`;
      pairs.set(key, (pairs.get(key) ?? 0) + count);
    }
  }
  const best = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  if (!best) break;
  const [left, right] = best[0].split('\u0001');
  merges.push([left, right]);
  vocab[left + right] = Object.keys(vocab).length;
  words = words.map(({ symbols, count }) => {
    const out: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
        out.push(left + right);
        i++;
      } else out.push(symbols[i]);
    }
    return { symbols: out, count };
  });
}
const special = { id: '<|endoftext|>', type_id: 0 };
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 0,
      content: '<|endoftext|>',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Digits', individual_digits: true },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    ],
  },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: special }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: special },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: special },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
  },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  },
};
const config = {
  tokenizer_class: 'PreTrainedTokenizerFast',
  bos_token: '<|endoftext|>',
  eos_token: '<|endoftext|>',
  add_bos_token: true,
  add_eos_token: false,
  clean_up_tokenization_spaces: false,
};
const dir = join(import.meta.dirname, 'tiny-tokenizer');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'tokenizer.json'), `${JSON.stringify(tokenizer)}\n`);
writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
console.log(
  `vocab ${Object.keys(vocab).length}, merges ${merges.length}, first ${merges.slice(0, 8).join(' | ')}`,
);
