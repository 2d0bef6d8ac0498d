import type { Dtype, Session } from '@x/core';
import { KvCacheError } from '../errors';

/** The Optimum decoder I/O of a stock session, per layer. */
export interface StockIo {
  positionIds: boolean;
  logitsToKeep: string | undefined;
  useCacheBranch: boolean;
  dtype: Dtype;
  numKvHeads: number;
  headDim: number;
  layers: { pastKey: string; pastValue: string; presentKey: string; presentValue: string }[];
}

const PAST = /^past_key_values\.(\d+)\.key$/;

/** Reads `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{l}.*` → `logits`, `present.{l}.*`. */
export function describeStockIo(session: Session): StockIo {
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) throw notDecoder(`input ${name}`, session.inputNames);
  }
  if (!session.outputNames.includes('logits')) throw notDecoder('output logits', session.outputNames);
  const layers: StockIo['layers'] = [];
  let numKvHeads = 0;
  let headDim = 0;
  let dtype: Dtype = 'float32';
  for (const input of session.inputNames) {
    const match = PAST.exec(input);
    if (!match) continue;
    const l = Number(match[1]);
    const entry = {
      pastKey: input,
      pastValue: `past_key_values.${l}.value`,
      presentKey: `present.${l}.key`,
      presentValue: `present.${l}.value`,
    };
    for (const name of [entry.presentKey, entry.presentValue]) {
      if (!session.outputNames.includes(name)) throw notDecoder(`output ${name}`, session.outputNames);
    }
    layers[l] = entry;
    const metadata = session.inputMetadata.find((value) => value.name === input);
    const shape = metadata?.shape ?? [];
    if (shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[3] !== 'number') {
      throw new KvCacheError(
        'KV_MODEL',
        `input ${input} has shape [${shape.join(', ')}]; expected [batch, numKvHeads, past, headDim] with fixed heads and head dim`,
        { details: { input, shape } },
      );
    }
    numKvHeads = shape[1];
    headDim = shape[3];
    if (metadata?.type === 'float16' || metadata?.type === 'tensor(float16)') dtype = 'float16';
  }
  if (layers.length === 0 || layers.some((layer) => layer === undefined)) {
    throw notDecoder('past_key_values.{l}.key inputs for every layer', session.inputNames);
  }
  return {
    positionIds: session.inputNames.includes('position_ids'),
    logitsToKeep: ['num_logits_to_keep', 'logits_to_keep'].find((name) => session.inputNames.includes(name)),
    useCacheBranch: session.inputNames.includes('use_cache_branch'),
    dtype,
    numKvHeads,
    headDim,
    layers,
  };
}

function notDecoder(what: string, names: readonly string[]): KvCacheError {
  return new KvCacheError(
    'KV_MODEL',
    `the model has no ${what}; expected an Optimum decoder export (names: ${names.join(', ')})`,
    { details: { missing: what } },
  );
}
