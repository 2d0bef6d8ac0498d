// Absolute paths to the trained reference LM and its companion files (see README.md for the model card).
// Everything is resolved from this module's location, so it works from the source tree (the "@x/source"
// condition) and from a build in dist/ alike: both sit one level below the package root.
import { fileURLToPath } from 'node:url';

const resolve = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** The model folder in the Hugging Face / transformers.js layout (config.json, tokenizer.json, onnx/). */
export const modelDir: string = resolve('../model');
/** The fp32 decoder graph; its weights live beside it in model.onnx_data, model.onnx_data_1, ... */
export const onnxPath: string = resolve('../model/onnx/model.onnx');
/** The byte-level BPE tokenizer (tokenizers JSON; `<|endoftext|>` = id 0 is prepended as BOS). */
export const tokenizerPath: string = resolve('../model/tokenizer.json');
/** PyTorch fp32 golden outputs: prompt ids, last-position logits, greedy ids, perplexities, passkey table. */
export const goldenPath: string = resolve('../golden.json');
/** The machine-readable passkey prompt format, with the exact evaluation trials. */
export const passkeyConfigPath: string = resolve('../passkey.json');
/** Folder of the shipped texts below. */
export const dataDir: string = resolve('../data');
/** Held-out documents (never trained on): Moby-Dick and four State of the Union speeches, whole. */
export const heldoutTextPath: string = resolve('../data/heldout.txt');
/** Training-side text for seeded calibration sampling (~1 MB of whole training documents). */
export const calibrationTextPath: string = resolve('../data/calibration.txt');
/** Held-out Python standard-library modules, concatenated (<200 KB), for code prompts. */
export const codeTextPath: string = resolve('../data/code.txt');

/** Names of the external-data files, in the order transformers.js loads them. */
export const onnxDataFiles: readonly string[] = ['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2'];
