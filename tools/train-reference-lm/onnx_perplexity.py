#!/usr/bin/env python3
"""Held-out perplexity of the exported ONNX model with onnxruntime-python (CPU), by the protocol in golden.json.

train.py runs this pass in the background under a deadline; when the 2048 pass did not finish there, run this
script on the device machine (CPU only):
  python3 tools/train-reference-lm/onnx_perplexity.py --seqlen 2048 --seqlen 512
It prints one JSON object per sequence length and writes them to --out (default $OUT/onnx-perplexity.json).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import threading
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default="packages/reference-lm/model")
    parser.add_argument("--heldout", default="packages/reference-lm/data/heldout.txt")
    parser.add_argument("--seqlen", type=int, action="append")
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--out", default=os.path.join(os.environ.get("OUT", "/tmp"), "onnx-perplexity.json"))
    args = parser.parse_args()
    config = json.load(open(os.path.join(args.model_dir, "config.json")))
    tokenizer = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    text = open(args.heldout, encoding="utf-8").read()
    ids = np.array(tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)
    threads = max(1, (os.cpu_count() or 4) // args.sessions)
    sessions = []
    for _ in range(args.sessions):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        sessions.append(ort.InferenceSession(os.path.join(args.model_dir, "onnx", "model.onnx"), options,
                                             providers=["CPUExecutionProvider"]))
    layers, kv, hd = config["num_hidden_layers"], config["num_key_value_heads"], config["head_dim"]
    results = {}
    for seqlen in args.seqlen or [2048]:
        tick = time.time()
        count = len(ids) // seqlen
        windows = ids[: count * seqlen].reshape(count, seqlen)
        sums = [0.0] * args.sessions

        def work(worker: int) -> None:
            session = sessions[worker]
            for index in range(worker, count, args.sessions):
                window = windows[index : index + 1]
                feed = {"input_ids": window, "attention_mask": np.ones_like(window),
                        "position_ids": np.arange(seqlen, dtype=np.int64)[None]}
                for layer in range(layers):
                    for kind in ("key", "value"):
                        feed[f"past_key_values.{layer}.{kind}"] = np.zeros((1, kv, 0, hd), np.float32)
                logits = session.run(["logits"], feed)[0][0, :-1]
                peak = logits.max(-1, keepdims=True)
                logsumexp = np.log(np.exp(logits - peak).sum(-1, dtype=np.float64)) + peak[:, 0]
                target = logits[np.arange(seqlen - 1), window[0, 1:]]
                sums[worker] += float((logsumexp - target).sum(dtype=np.float64))

        pool = [threading.Thread(target=work, args=(w,)) for w in range(args.sessions)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        nll = sum(sums) / (count * (seqlen - 1))
        results[str(seqlen)] = {"onnxNll": nll, "onnxPpl": math.exp(nll), "windows": count,
                                "seconds": round(time.time() - tick, 1)}
        print(json.dumps({str(seqlen): results[str(seqlen)]}), flush=True)
    with open(args.out, "w") as handle:
        json.dump({"onnxruntime": ort.__version__, "tokens": int(len(ids)), **results}, handle, indent=1)


if __name__ == "__main__":
    main()
