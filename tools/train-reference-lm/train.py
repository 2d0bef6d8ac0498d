#!/usr/bin/env python3
"""Train, select, export and check the @x/reference-lm model (runs on the GPU device machine).

One command does everything, inside a wall-clock budget:
  1. byte-level BPE tokenizer (4096, digits split one by one, <|endoftext|> as BOS/EOS via TemplateProcessing)
  2. tokenize the training shards (.device-carry/corpus) and the held-out text (packages/reference-lm/data)
  3. train a Llama (RMSNorm, RoPE, SwiGLU, GQA, untied head) at context 2048 for --train-seconds, mixing fresh
     synthetic passkey / multi-fact retrieval / copy documents into a share of the rows (see synth_* below)
  4. select the checkpoint on held-out loss AND a passkey probe
  5. held-out perplexity (non-overlapping windows, 512 and 2048), passkey accuracy table, golden outputs
  6. ONNX export (TorchScript exporter, opset 17, Optimum decoder I/O), external data split into <12 MiB files,
     onnxruntime checks (logits, decode with past, empty past, zeros in the mask) and ONNX perplexity

Usage (device): python3 tools/train-reference-lm/train.py --out "$OUT" --train-seconds 370
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import math
import os
import shutil
import sys
import tarfile
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F

START = time.time()
LOG_LINES: list[str] = []


def log(message: str) -> None:
    line = f"[{time.time() - START:7.1f}s] {message}"
    print(line, flush=True)
    LOG_LINES.append(line)


# ----------------------------------------------------------------------------------------------------------------
# Passkey format (Mohtashami & Jaggi 2023, "Landmark Attention", arXiv 2305.16300, with held-out text as filler).
# Pieces are tokenized separately without special tokens and concatenated as ids:
#   [BOS] + prefix + filler[o : o+a] + needle(key) + filler[o+a : o+F] + question      then expect answer(key)
# F = length - (1 + |prefix| + |needle| + |question|) so the prompt has exactly `length` tokens; a = round(depth*F).
# filler = ids of data/heldout.txt tokenized once (no special tokens). Success: the greedy continuation of
# len(answer) tokens equals answer ids exactly.
PASSKEY = {
    "prefix": "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. "
    "I will quiz you about the important information there.\n",
    "needle": "\nThe pass key is {key}. Remember it. {key} is the pass key.\n",
    "question": "\nWhat is the pass key? The pass key is",
    "answer": " {key}",
}
DEPTHS = [0.1, 0.3, 0.5, 0.7, 0.9]
LENGTHS = [1024, 2048]

CONFIGS = {
    # 9 layers x hidden 256, MLP 768 = 12 x 64 (Hadamard factor 64), 8 query heads / 4 KV heads of 32.
    "small": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=9, num_attention_heads=8,
                  num_key_value_heads=4, head_dim=32),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=".device-carry/corpus")
    parser.add_argument("--data-dir", default="packages/reference-lm/data")
    parser.add_argument("--out", default=os.environ.get("OUT", "/tmp/out"))
    parser.add_argument("--work", default="/tmp/reference-lm")
    parser.add_argument("--config", default="small")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--min-lr-ratio", type=float, default=0.1)
    parser.add_argument("--warmup-steps", type=int, default=200)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--synthetic-share", type=float, default=0.15, help="share of rows that start with a synthetic doc")
    parser.add_argument("--train-seconds", type=float, default=360)
    parser.add_argument("--eval-every-seconds", type=float, default=40)
    parser.add_argument("--passkey-trials", type=int, default=10, help="final passkey trials per (length, depth)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--skip-ort-ppl", action="store_true")
    parser.add_argument("--deadline-seconds", type=float, default=585, help="stop the ONNX perplexity pass by then")
    parser.add_argument("--resume", default="", help="folder with tokenizer.json + state_dict.pt.part*: skip training")
    return parser.parse_args()


# ----------------------------------------------------------------------------------------------------------------
# Data


def read_corpus(corpus_dir: str) -> dict[str, list[str]]:
    docs: dict[str, list[str]] = {}
    for name in sorted(os.listdir(corpus_dir)):
        if not name.endswith(".jsonl.xz"):
            continue
        with lzma.open(os.path.join(corpus_dir, name), "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                docs.setdefault(record["source"], []).append(record["text"])
    return docs


def train_tokenizer(docs: dict[str, list[str]], vocab_size: int, seed: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    rng = np.random.default_rng(seed)
    sample: list[str] = []
    for source in sorted(docs):
        for text in docs[source]:
            if rng.random() < 0.35:  # a third of the documents is plenty for a 4k vocabulary
                sample.append(text)
    tokenizer.train_from_iterator(sample, trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|endoftext|> $A",
        pair="<|endoftext|> $A <|endoftext|> $B",
        special_tokens=[("<|endoftext|>", 0)],
    )
    assert tokenizer.token_to_id("<|endoftext|>") == 0
    return tokenizer


def encode_many(tokenizer, texts: list[str]) -> list[list[int]]:
    return [enc.ids for enc in tokenizer.encode_batch(texts, add_special_tokens=False)]


def encode_piece(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False).ids


# ----------------------------------------------------------------------------------------------------------------
# Synthetic documents (fresh every batch; filler = random spans of the held-in training stream)

COLORS = ["red", "blue", "green", "yellow", "black", "white", "silver", "golden", "purple", "orange", "brown", "grey"]
NOUNS = ["door", "box", "house", "ship", "river", "tower", "garden", "letter", "train", "lamp", "bridge", "island"]


class Synth:
    def __init__(self, tokenizer, stream: np.ndarray, rng: np.random.Generator) -> None:
        self.tokenizer = tokenizer
        self.stream = stream
        self.rng = rng
        self.cache: dict[str, list[int]] = {}
        self.counts = {"passkey": 0, "facts": 0, "copy": 0}

    def piece(self, text: str) -> list[int]:
        if text not in self.cache:
            self.cache[text] = encode_piece(self.tokenizer, text)
        return self.cache[text]

    def filler(self, count: int) -> list[int]:
        if count <= 0:
            return []
        start = int(self.rng.integers(0, len(self.stream) - count - 1))
        return self.stream[start : start + count].tolist()

    def digits(self, count: int) -> str:
        first = str(int(self.rng.integers(1, 10)))
        return first + "".join(str(int(d)) for d in self.rng.integers(0, 10, count - 1))

    def passkey(self, length: int) -> list[int]:
        """The exact evaluation format (PASSKEY), length tokens incl. BOS, then answer + '.\\n'."""
        key = self.digits(5)
        prefix = self.piece(PASSKEY["prefix"])
        needle = encode_piece(self.tokenizer, PASSKEY["needle"].format(key=key))
        question = self.piece(PASSKEY["question"])
        answer = encode_piece(self.tokenizer, PASSKEY["answer"].format(key=key) + ".\n")
        budget = max(0, length - 1 - len(prefix) - len(needle) - len(question))
        before = int(round(self.rng.random() * budget))
        body = self.filler(budget)
        self.counts["passkey"] += 1
        return [0] + prefix + body[:before] + needle + body[before:] + question + answer

    def facts(self, length: int) -> list[int]:
        """1-4 planted facts with 3-7 digit values at random depths; one is asked at the end."""
        count = int(self.rng.integers(1, 5))
        names = []
        for _ in range(count):
            names.append(f"{COLORS[int(self.rng.integers(len(COLORS)))]} {NOUNS[int(self.rng.integers(len(NOUNS)))]}")
        values = [self.digits(int(self.rng.integers(3, 8))) for _ in range(count)]
        statements = [encode_piece(self.tokenizer, f"\nThe number of the {n} is {v}.\n") for n, v in zip(names, values)]
        asked = int(self.rng.integers(count))
        # Ask about the first fact with that name (names may repeat; keep the first value).
        asked_value = values[names.index(names[asked])]
        question = encode_piece(self.tokenizer, f"\nWhat is the number of the {names[asked]}? It is")
        answer = encode_piece(self.tokenizer, f" {asked_value}.\n")
        budget = max(0, length - 1 - sum(len(s) for s in statements) - len(question))
        body = self.filler(budget)
        cuts = sorted(int(c) for c in self.rng.integers(0, budget + 1, count))
        out = [0]
        previous = 0
        for cut, statement in zip(cuts, statements):
            out += body[previous:cut] + statement
            previous = cut
        out += body[previous:] + question + answer
        self.counts["facts"] += 1
        return out

    def copy(self, length: int) -> list[int]:
        """A passage, filler, then the same passage again (copying across a gap)."""
        span = int(self.rng.integers(24, 160))
        passage = self.filler(span)
        gap = max(0, length - 1 - 2 * span)
        self.counts["copy"] += 1
        return [0] + passage + self.filler(gap) + passage

    def make(self, max_length: int) -> list[int]:
        # Half of the synthetic docs are long (>= half the context) so that far needles are common.
        low = max_length // 2 if self.rng.random() < 0.5 else 128
        length = int(self.rng.integers(low, max_length + 1))
        kind = self.rng.random()
        if kind < 0.5:
            return self.passkey(length)
        if kind < 0.75:
            return self.facts(length)
        return self.copy(length)


class Batcher:
    def __init__(self, stream: np.ndarray, context: int, batch_size: int, share: float, synth: Synth, rng) -> None:
        self.stream = stream
        self.context = context
        self.batch_size = batch_size
        self.share = share
        self.synth = synth
        self.rng = rng

    def next(self) -> torch.Tensor:
        rows = np.empty((self.batch_size, self.context + 1), dtype=np.int64)
        for row in range(self.batch_size):
            start = int(self.rng.integers(0, len(self.stream) - self.context - 2))
            window = self.stream[start : start + self.context + 1]
            if self.rng.random() < self.share:
                doc = self.synth.make(self.context)[: self.context + 1]
                rows[row, : len(doc)] = doc
                rows[row, len(doc) :] = window[: self.context + 1 - len(doc)]
            else:
                rows[row] = window
        return torch.from_numpy(rows)


# ----------------------------------------------------------------------------------------------------------------
# Passkey prompts


def passkey_prompt(tokenizer, filler: np.ndarray, length: int, depth: float, key: str, offset: int):
    prefix = encode_piece(tokenizer, PASSKEY["prefix"])
    needle = encode_piece(tokenizer, PASSKEY["needle"].format(key=key))
    question = encode_piece(tokenizer, PASSKEY["question"])
    answer = encode_piece(tokenizer, PASSKEY["answer"].format(key=key))
    budget = length - 1 - len(prefix) - len(needle) - len(question)
    before = int(round(depth * budget))
    body = filler[offset : offset + budget].tolist()
    assert len(body) == budget
    ids = [0] + prefix + body[:before] + needle + body[before:] + question
    assert len(ids) == length
    return ids, answer


def passkey_trial_record(tokenizer, trial: dict) -> dict:
    """The trial as shipped in passkey.json, with the filler budget and needle index spelled out."""
    budget = (trial["length"] - 1 - len(encode_piece(tokenizer, PASSKEY["prefix"]))
              - len(encode_piece(tokenizer, PASSKEY["needle"].format(key=trial["key"])))
              - len(encode_piece(tokenizer, PASSKEY["question"])))
    return {**trial, "fillerTokens": budget, "needleAt": int(round(trial["depth"] * budget))}


def make_trials(rng: np.random.Generator, filler_len: int, per_cell: int) -> list[dict]:
    trials = []
    for length in LENGTHS:
        for depth in DEPTHS:
            for _ in range(per_cell):
                key = str(int(rng.integers(10000, 100000)))
                offset = int(rng.integers(0, filler_len - length - 1))
                trials.append({"length": length, "depth": depth, "key": key, "fillerOffset": offset})
    return trials


@torch.no_grad()
def passkey_eval(model, tokenizer, filler: np.ndarray, trials: list[dict], device, autocast: bool):
    """Greedy exactness via teacher forcing: greedy decoding emits the answer iff the argmax at each answer
    position (given the correct prefix) equals the answer token, so one forward pass per prompt suffices."""
    results = []
    groups: dict[int, list[dict]] = {}
    for trial in trials:
        groups.setdefault(trial["length"], []).append(trial)
    for length, group in groups.items():
        for start in range(0, len(group), 8):
            chunk = group[start : start + 8]
            rows, answers = [], []
            for trial in chunk:
                ids, answer = passkey_prompt(tokenizer, filler, length, trial["depth"], trial["key"], trial["fillerOffset"])
                rows.append(ids + answer)
                answers.append(answer)
            width = max(len(r) for r in rows)
            batch = torch.zeros((len(rows), width), dtype=torch.long)
            for index, row in enumerate(rows):
                batch[index, : len(row)] = torch.tensor(row)
            batch = batch.to(device)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = model(input_ids=batch).logits
            predictions = logits.argmax(-1).cpu()
            for index, (trial, answer) in enumerate(zip(chunk, answers)):
                got = predictions[index, length - 1 : length - 1 + len(answer)].tolist()
                results.append({**trial, "correct": got == answer})
    return results


def passkey_table(results: list[dict]) -> dict:
    table: dict[str, dict[str, float]] = {}
    for length in LENGTHS:
        row = {}
        for depth in DEPTHS:
            cell = [r["correct"] for r in results if r["length"] == length and r["depth"] == depth]
            if cell:
                row[str(depth)] = sum(cell) / len(cell)
        table[str(length)] = row
    return table


# ----------------------------------------------------------------------------------------------------------------
# Losses and perplexity


@torch.no_grad()
def mean_nll_windows(model, windows: torch.Tensor, device, autocast: bool, batch: int = 8) -> float:
    """Mean next-token NLL over windows [n, T] (each window on its own, no BOS added)."""
    total, count = 0.0, 0
    for start in range(0, windows.shape[0], batch):
        chunk = windows[start : start + batch].to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = model(input_ids=chunk).logits
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1), reduction="sum")
        total += loss.item()
        count += chunk[:, 1:].numel()
    return total / count


def windows_of(ids: np.ndarray, seqlen: int) -> torch.Tensor:
    count = len(ids) // seqlen
    return torch.from_numpy(ids[: count * seqlen].astype(np.int64).reshape(count, seqlen))


# ----------------------------------------------------------------------------------------------------------------
# ONNX export


def flatten_cache(cache, layers: int) -> list[torch.Tensor]:
    flat = []
    for index in range(layers):
        if hasattr(cache, "layers"):
            flat += [cache.layers[index].keys, cache.layers[index].values]
        else:
            flat += [cache.key_cache[index], cache.value_cache[index]]
    return flat


class ExportWrapper(torch.nn.Module):
    """Thin wrapper: flat past tensors in, DynamicCache built inside, flat present tensors out."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        from transformers import DynamicCache

        cache = DynamicCache()
        for index in range(self.layers):
            cache.update(past[2 * index], past[2 * index + 1], index)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
        )
        return (out.logits, *flatten_cache(out.past_key_values, self.layers))


def export_onnx(model_fp32, config, onnx_dir: str, max_file_bytes: int = 12 * 2**20) -> int:
    import onnx
    from onnx import numpy_helper
    from onnx.external_data_helper import set_external_data

    layers = config.num_hidden_layers
    kv, hd = config.num_key_value_heads, config.head_dim
    wrapper = ExportWrapper(model_fp32).eval()
    batch, seq, past_len = 2, 5, 3
    input_ids = torch.randint(1, config.vocab_size, (batch, seq))
    attention_mask = torch.ones(batch, past_len + seq, dtype=torch.long)
    position_ids = torch.arange(past_len, past_len + seq).unsqueeze(0).repeat(batch, 1)
    past = [torch.randn(batch, kv, past_len, hd) for _ in range(2 * layers)]
    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for index in range(layers):
        for kind in ("key", "value"):
            name = f"past_key_values.{index}.{kind}"
            input_names.append(name)
            axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for index in range(layers):
        for kind in ("key", "value"):
            name = f"present.{index}.{kind}"
            output_names.append(name)
            axes[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (input_ids, attention_mask, position_ids, *past),
            buffer,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load_from_string(buffer.getvalue())
    os.makedirs(onnx_dir, exist_ok=True)
    for name in os.listdir(onnx_dir):
        os.remove(os.path.join(onnx_dir, name))
    file_index, file_size, handle, location = -1, 0, None, ""
    for tensor in proto.graph.initializer:
        raw = tensor.raw_data if tensor.HasField("raw_data") else numpy_helper.to_array(tensor).tobytes()
        if len(raw) < 4096:
            continue
        if handle is None or file_size + len(raw) > max_file_bytes:
            if handle is not None:
                handle.close()
            file_index += 1
            location = "model.onnx_data" if file_index == 0 else f"model.onnx_data_{file_index}"
            handle = open(os.path.join(onnx_dir, location), "wb")
            file_size = 0
        handle.write(raw)
        if not tensor.HasField("raw_data"):
            del tensor.float_data[:]
            tensor.raw_data = raw
        set_external_data(tensor, location=location, offset=file_size, length=len(raw))
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        file_size += len(raw)
    if handle is not None:
        handle.close()
    onnx.save_model(proto, os.path.join(onnx_dir, "model.onnx"))
    onnx.checker.check_model(os.path.join(onnx_dir, "model.onnx"))
    return file_index + 1


def ort_session(onnx_path: str, gpu: bool = False):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = min(16, os.cpu_count() or 4)
    providers = ["CPUExecutionProvider"]
    if gpu and "CUDAExecutionProvider" in ort.get_available_providers():
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ort.InferenceSession(onnx_path, options, providers=providers)


def ort_feed(config, input_ids: np.ndarray, attention_mask: np.ndarray, position_ids: np.ndarray, past):
    feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64),
            "position_ids": position_ids.astype(np.int64)}
    batch = input_ids.shape[0]
    for index in range(config.num_hidden_layers):
        for k, kind in enumerate(("key", "value")):
            if past is None:
                feed[f"past_key_values.{index}.{kind}"] = np.zeros((batch, config.num_key_value_heads, 0, config.head_dim), np.float32)
            else:
                feed[f"past_key_values.{index}.{kind}"] = past[2 * index + k]
    return feed


def ort_greedy(session, config, prompt: list[int], steps: int) -> list[int]:
    ids = np.array([prompt], dtype=np.int64)
    outputs = session.run(None, ort_feed(config, ids, np.ones_like(ids), np.arange(len(prompt))[None], None))
    generated = []
    total = len(prompt)
    for _ in range(steps):
        token = int(outputs[0][0, -1].argmax())
        generated.append(token)
        past = outputs[1:]
        outputs = session.run(None, ort_feed(config, np.array([[token]]), np.ones((1, total + 1)), np.array([[total]]), past))
        total += 1
    return generated


@torch.no_grad()
def torch_greedy(model, prompt: list[int], steps: int, device) -> tuple[list[int], float]:
    """Greedy decode with the HF cache; returns ids and the smallest top-1/top-2 logit margin on the path."""
    input_ids = torch.tensor([prompt], device=device)
    out = model(input_ids=input_ids, use_cache=True)
    generated, margin = [], float("inf")
    for _ in range(steps):
        last = out.logits[0, -1].float()
        top = torch.topk(last, 2)
        margin = min(margin, float(top.values[0] - top.values[1]))
        token = int(top.indices[0])
        generated.append(token)
        out = model(input_ids=torch.tensor([[token]], device=device), past_key_values=out.past_key_values, use_cache=True)
    return generated, margin


def ort_perplexity(session, config, ids: np.ndarray, seqlen: int, stop, batch: int = 4) -> dict:
    windows = windows_of(ids, seqlen).numpy()
    total, count, done = 0.0, 0, 0
    for start in range(0, len(windows), batch):
        if stop():
            break
        chunk = windows[start : start + batch]
        positions = np.tile(np.arange(seqlen), (len(chunk), 1))
        logits = session.run(["logits"], ort_feed(config, chunk, np.ones_like(chunk), positions, None))[0]
        logits = logits[:, :-1]
        peak = logits.max(-1, keepdims=True)
        logsumexp = np.log(np.exp(logits - peak).sum(-1, dtype=np.float64)) + peak[..., 0]
        target = np.take_along_axis(logits, chunk[:, 1:, None], -1)[..., 0]
        total += float((logsumexp - target).sum(dtype=np.float64))
        count += target.size
        done += len(chunk)
    return {"ppl": math.exp(total / count) if count else None, "windows": done, "of": int(len(windows))}


# ----------------------------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device("cuda")
    os.makedirs(args.out, exist_ok=True)
    model_dir = os.path.join(args.work, "model")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(os.path.join(model_dir, "onnx"), exist_ok=True)
    log(f"torch {torch.__version__} device {torch.cuda.get_device_name(0)} args {vars(args)}")

    import tokenizers
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    docs = read_corpus(args.corpus)
    log("corpus: " + ", ".join(f"{s} {len(d)} docs {sum(len(t) for t in d) / 1e6:.1f} MB" for s, d in docs.items()))
    if args.resume:
        tokenizer = tokenizers.Tokenizer.from_file(os.path.join(args.resume, "tokenizer.json"))
    else:
        tokenizer = train_tokenizer(docs, args.vocab_size, args.seed)
    tokenizer.save(os.path.join(model_dir, "tokenizer.json"))
    shutil.copy(os.path.join(model_dir, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    log(f"tokenizer ready: vocab {tokenizer.get_vocab_size()}")

    stream_parts, source_tokens = [], {}
    for source in sorted(docs):
        encoded = encode_many(tokenizer, docs[source])
        source_tokens[source] = sum(len(e) for e in encoded)
        for ids in encoded:
            stream_parts.append(np.array([0] + ids, dtype=np.uint16))
    order = rng.permutation(len(stream_parts))
    stream = np.concatenate([stream_parts[i] for i in order])
    del stream_parts
    with open(os.path.join(args.data_dir, "heldout.txt"), encoding="utf-8") as handle:
        heldout_text = handle.read()
    heldout_ids = np.array(encode_piece(tokenizer, heldout_text), dtype=np.int64)
    train_bytes = sum(len(t.encode()) for d in docs.values() for t in d)
    log(f"train tokens {len(stream)} ({train_bytes / len(stream):.2f} bytes/token) per source {source_tokens}; "
        f"held-out tokens {len(heldout_ids)} ({len(heldout_text.encode()) / len(heldout_ids):.2f} bytes/token)")

    shape = CONFIGS[args.config]
    config = LlamaConfig(
        vocab_size=args.vocab_size, max_position_embeddings=args.context, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, bos_token_id=0, eos_token_id=0, pad_token_id=None, attention_bias=False,
        mlp_bias=False, hidden_act="silu", initializer_range=0.02, **shape,
    )
    config._attn_implementation = "sdpa"
    model = LlamaForCausalLM(config).to(device)
    parameters = sum(p.numel() for p in model.parameters())
    log(f"model {shape} parameters {parameters} ({parameters * 4 / 2**20:.1f} MiB fp32)")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True,
    )
    torch.backends.cuda.matmul.allow_tf32 = True
    compiled = model if args.no_compile else torch.compile(model)

    synth = Synth(tokenizer, stream, np.random.default_rng(args.seed + 1))
    batcher = Batcher(stream, args.context, args.batch_size, args.synthetic_share, synth, np.random.default_rng(args.seed + 2))
    eval_windows = windows_of(heldout_ids, args.context)
    pick = np.linspace(0, len(eval_windows) - 1, min(40, len(eval_windows))).astype(int)
    eval_windows = eval_windows[pick]
    probe_trials = make_trials(np.random.default_rng(args.seed + 3), len(heldout_ids), 2)

    def lr_at(fraction: float, step: int) -> float:
        if step < args.warmup_steps:
            return args.lr * (step + 1) / args.warmup_steps
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))
        return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * cosine)

    history, best = [], None
    train_time, step, tokens, running = 0.0, 0, 0, None
    last_eval = 0.0
    next_batch = batcher.next()
    if args.resume:
        parts = sorted(n for n in os.listdir(args.resume) if n.startswith("state_dict.pt.part"))
        blob = b"".join(open(os.path.join(args.resume, n), "rb").read() for n in parts)
        state = torch.load(io.BytesIO(blob), map_location="cpu")
        resumed = {"resumedFrom": args.resume}
        if os.path.exists(os.path.join(args.resume, "selected.json")):
            resumed.update(json.load(open(os.path.join(args.resume, "selected.json"))))
        best = ((0,), resumed, state)
    while not args.resume:
        tick = time.time()
        batch = next_batch.to(device, non_blocking=True)
        lr = lr_at(train_time / args.train_seconds, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = compiled(input_ids=batch[:, :-1]).logits
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        next_batch = batcher.next()  # overlaps with the GPU work queued above
        value = loss.item()
        running = value if running is None else 0.98 * running + 0.02 * value
        step += 1
        tokens += batch.shape[0] * (batch.shape[1] - 1)
        elapsed = time.time() - tick
        if step > 3:
            train_time += elapsed
        else:
            log(f"step {step} loss {value:.3f} ({elapsed:.1f}s, includes compile)")
        done = train_time >= args.train_seconds
        if done or train_time - last_eval >= args.eval_every_seconds:
            last_eval = train_time
            model.eval()
            heldout_loss = mean_nll_windows(model, eval_windows, device, True)
            probe = passkey_eval(model, tokenizer, heldout_ids, probe_trials, device, True)
            model.train()
            accuracy = sum(r["correct"] for r in probe) / len(probe)
            record = {"step": step, "tokens": tokens, "trainSeconds": round(train_time, 1), "lr": lr,
                      "trainLossEma": round(running, 4), "heldoutLoss": round(heldout_loss, 4), "probeAccuracy": accuracy}
            history.append(record)
            log(f"eval {record} tokens/s {tokens / max(train_time, 1e-9):.0f}")
            # Selection: among checkpoints with probe accuracy >= 0.9 take the lowest held-out loss; before any
            # reaches 0.9, keep the highest probe accuracy (ties: lower held-out loss).
            key = (1, -heldout_loss) if accuracy >= 0.9 else (0, accuracy, -heldout_loss)
            if best is None or key > best[0]:
                best = (key, record, {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})
        if done:
            break
    log(f"trained {step} steps, {tokens} tokens in {train_time:.0f}s; synthetic docs {synth.counts}; selected {best[1]}")
    torch.save(best[2], os.path.join(args.work, "state_dict.pt"))
    with open(os.path.join(args.work, "selected.json"), "w") as handle:
        json.dump({"selected": best[1], "history": history, "steps": step, "tokensSeen": tokens}, handle)
    config_dict = config.to_dict()
    config_dict["architectures"] = ["LlamaForCausalLM"]
    config_dict.pop("_attn_implementation", None)
    config_dict.pop("_attn_implementation_autoset", None)
    config_dict["torch_dtype"] = "float32"
    config_dict["dtype"] = "float32"
    config_dict["rope_theta"] = config_dict.get("rope_parameters", {}).get("rope_theta", 10000.0)
    for unused in ("id2label", "label2id"):
        config_dict.pop(unused, None)
    config_dict["use_cache"] = True

    # ---------------- ONNX export first; its perplexity pass runs on the CPU while the GPU evaluates ----------------
    export_model = LlamaForCausalLM(config)
    export_model.load_state_dict(best[2])
    export_model.eval()
    files = export_onnx(export_model, config, os.path.join(model_dir, "onnx"))
    config_dict["transformers.js_config"] = {"use_external_data_format": files, "dtype": "fp32"}
    with open(os.path.join(model_dir, "config.json"), "w") as handle:
        json.dump(config_dict, handle, indent=2, sort_keys=True)
    sizes = {n: os.path.getsize(os.path.join(model_dir, "onnx", n)) for n in sorted(os.listdir(os.path.join(model_dir, "onnx")))}
    log(f"onnx exported: {sizes}")
    session = ort_session(os.path.join(model_dir, "onnx", "model.onnx"))
    ppl_session = ort_session(os.path.join(model_dir, "onnx", "model.onnx"), gpu=True)
    import onnxruntime

    log(f"onnxruntime {onnxruntime.__version__} providers {onnxruntime.get_available_providers()}; "
        f"perplexity session on {ppl_session.get_providers()}")
    onnx_ppl: dict = {}

    def onnx_ppl_worker() -> None:
        for seqlen in (512, 2048):
            tick = time.time()
            onnx_ppl[str(seqlen)] = ort_perplexity(ppl_session, config, heldout_ids, seqlen, lambda: time.time() - START > args.deadline_seconds)
            log(f"onnx ppl {seqlen}: {onnx_ppl[str(seqlen)]} ({time.time() - tick:.0f}s)")

    import threading

    worker = threading.Thread(target=onnx_ppl_worker, daemon=True)
    if not args.skip_ort_ppl:
        worker.start()

    # ---------------- final evaluation in fp32 (no autocast, no TF32) ----------------
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    config._attn_implementation = "eager"
    final = LlamaForCausalLM(config)
    final.load_state_dict(best[2])
    final = final.to(device).eval()
    results: dict = {"selected": best[1], "history": history or best[1].get("history", []), "parameters": parameters, "steps": step,
                     "tokensSeen": tokens, "trainSeconds": round(train_time, 1), "trainTokens": int(len(stream)),
                     "heldoutTokens": int(len(heldout_ids)), "synthetic": synth.counts,
                     "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                                  "tokenizers": tokenizers.__version__}}
    train_windows = windows_of(stream[: len(stream) // 2048 * 2048].astype(np.int64), 2048)
    train_pick = np.random.default_rng(args.seed + 4).choice(len(train_windows), 40, replace=False)
    results["trainLoss2048"] = mean_nll_windows(final, train_windows[train_pick], device, False)
    perplexity = {}
    for seqlen in (512, 2048):
        nll = mean_nll_windows(final, windows_of(heldout_ids, seqlen), device, False, batch=8 if seqlen == 2048 else 32)
        perplexity[str(seqlen)] = {"torchNll": nll, "torchPpl": math.exp(nll), "windows": int(len(heldout_ids) // seqlen)}
    results["heldoutLoss2048"] = perplexity["2048"]["torchNll"]
    log(f"train loss {results['trainLoss2048']:.4f} held-out loss {results['heldoutLoss2048']:.4f} ppl {perplexity}")

    trials = make_trials(np.random.default_rng(args.seed + 5), len(heldout_ids), args.passkey_trials)
    passkey_results = passkey_eval(final, tokenizer, heldout_ids, trials, device, False)
    table = passkey_table(passkey_results)
    log(f"passkey accuracy {json.dumps(table)}")

    # ---------------- model folder ----------------
    with open(os.path.join(model_dir, "generation_config.json"), "w") as handle:
        json.dump({"bos_token_id": 0, "eos_token_id": 0, "do_sample": False, "max_length": args.context}, handle, indent=2)
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as handle:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                   "unk_token": None, "pad_token": None, "add_bos_token": True, "add_eos_token": False,
                   "clean_up_tokenization_spaces": False, "model_max_length": args.context}, handle, indent=2)

    # ---------------- golden outputs (PyTorch fp32) ----------------
    with open(os.path.join(args.data_dir, "code.txt"), encoding="utf-8") as handle:
        code_text = handle.read()
    long_start = heldout_text.index("CHAPTER 3.")
    long_ids = tokenizer.encode(heldout_text[long_start : long_start + 12000]).ids[:1500]
    long_text = tokenizer.decode(long_ids[1:], skip_special_tokens=False)
    prompts = [
        {"name": "short", "text": "The whale swam slowly toward the ship, and the captain"},
        {"name": "docs", "text": "To create a new table in the database, use the CREATE TABLE command. For example,"},
        {"name": "code", "text": code_text[:600]},
        {"name": "long", "text": long_text},
    ]
    golden_prompts = []
    for prompt in prompts:
        ids = tokenizer.encode(prompt["text"]).ids
        with torch.no_grad():
            logits = final(input_ids=torch.tensor([ids], device=device)).logits[0, -1].float().cpu().numpy()
        greedy, margin = torch_greedy(final, ids, 32, device)
        golden_prompts.append({"name": prompt["name"], "text": prompt["text"], "inputIds": ids,
                               "lastLogits": [float(f"{x:.6g}") for x in logits.tolist()],
                               "greedyIds": greedy, "greedyText": tokenizer.decode(greedy),
                               "greedyMinTop2Margin": margin})
        log(f"golden {prompt['name']}: {len(ids)} tokens, margin {margin:.3f}, greedy {tokenizer.decode(greedy)!r}")

    passkey_json = {
        "format": "Mohtashami & Jaggi 2023 (arXiv 2305.16300) passkey retrieval, held-out text as filler",
        "prefix": PASSKEY["prefix"], "needle": PASSKEY["needle"], "question": PASSKEY["question"],
        "answer": PASSKEY["answer"], "keyDigits": 5,
        "fillerSource": "data/heldout.txt", "fillerTokenization": "the whole file encoded once, no special tokens",
        "lengths": LENGTHS, "depths": DEPTHS,
        "procedure": [
            "encode prefix, needle (key substituted), question and answer (key substituted) separately, no special tokens",
            "budget = length - 1 - len(prefix) - len(needle) - len(question) (stored per trial as fillerTokens); "
            "before = round(depth * budget) with Python round-half-to-even (stored per trial as needleAt: use it)",
            "body = filler[fillerOffset : fillerOffset + budget]",
            "prompt = [bos_token_id 0] + prefix + body[:before] + needle + body[before:] + question (exactly `length` ids)",
            "correct iff the greedy continuation of len(answer) tokens equals the answer ids",
        ],
        "trials": [passkey_trial_record(tokenizer, trial) for trial in trials],
        "example": {"trial": trials[0], "promptIds": passkey_prompt(tokenizer, heldout_ids, trials[0]["length"],
                    trials[0]["depth"], trials[0]["key"], trials[0]["fillerOffset"])[0]},
    }
    results["passkey"] = {"table": table, "results": passkey_results}

    # ---------------- ONNX checks ----------------
    checks = {}
    cpu_model = export_model  # fp32 CPU eager: reference for the ORT comparisons
    for prompt in golden_prompts:
        ids = np.array([prompt["inputIds"]])
        ort_logits = session.run(["logits"], ort_feed(config, ids, np.ones_like(ids), np.arange(ids.shape[1])[None], None))[0]
        checks[f"logits.{prompt['name']}"] = float(np.abs(ort_logits[0, -1] - np.array(prompt["lastLogits"])).max())
        greedy = ort_greedy(session, config, prompt["inputIds"], 32)
        checks[f"greedyMatch.{prompt['name']}"] = greedy == prompt["greedyIds"]
    # Decode with past + batch 2 + zeros in the mask, against PyTorch with the same mask.
    ids = torch.randint(1, config.vocab_size, (2, 40))
    mask = torch.ones(2, 40, dtype=torch.long)
    mask[1, 3:9] = 0
    positions = torch.arange(40).unsqueeze(0).repeat(2, 1)
    with torch.no_grad():
        reference = cpu_model(input_ids=ids, attention_mask=mask, position_ids=positions).logits.numpy()
    first = session.run(None, ort_feed(config, ids[:, :30].numpy(), mask[:, :30].numpy(), positions[:, :30].numpy(), None))
    second = session.run(None, ort_feed(config, ids[:, 30:].numpy(), mask.numpy(), positions[:, 30:].numpy(), first[1:]))
    checks["prefillWithMaskZeros"] = float(np.abs(first[0] - reference[:, :30]).max())
    checks["decodeWithPast"] = float(np.abs(second[0] - reference[:, 30:]).max())
    checks["presentShape"] = list(second[1].shape)
    log(f"onnx checks {checks}")
    results["onnxChecks"] = checks

    if not args.skip_ort_ppl:
        worker.join()
        for seqlen, value in onnx_ppl.items():
            perplexity[seqlen]["onnxPpl"] = value["ppl"]
            perplexity[seqlen]["onnxWindows"] = value["windows"]

    golden = {
        "description": "PyTorch fp32 reference outputs of @x/reference-lm (train.py); logits at the last prompt position",
        "bosTokenId": 0, "eosTokenId": 0,
        "greedy": "32 tokens, argmax, no EOS stop, from PyTorch fp32 with KV cache",
        "prompts": golden_prompts,
        "perplexity": {
            "protocol": "data/heldout.txt encoded once without special tokens; non-overlapping windows of seqlen tokens "
            "(remainder dropped), each window fed alone (no BOS); mean NLL of the seqlen-1 next-token predictions "
            "of every window; ppl = exp(mean)",
            **perplexity,
        },
        "passkey": {"accuracyByLengthAndDepth": table, "trialsPerCell": args.passkey_trials, "config": "passkey.json"},
        "onnxChecks": checks,
    }
    results["perplexity"] = perplexity
    results["log"] = LOG_LINES
    with open(os.path.join(model_dir, "..", "golden.json"), "w") as handle:
        json.dump(golden, handle)
    with open(os.path.join(model_dir, "..", "passkey.json"), "w") as handle:
        json.dump(passkey_json, handle, indent=1)
    with open(os.path.join(model_dir, "..", "train-log.json"), "w") as handle:
        json.dump(results, handle, indent=1)

    # ---------------- pack results ----------------
    with tarfile.open(os.path.join(args.out, "bundle.tar.gz"), "w:gz") as tar:
        for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"):
            tar.add(os.path.join(model_dir, name), arcname=f"model/{name}")
        for name in ("golden.json", "passkey.json", "train-log.json"):
            tar.add(os.path.join(args.work, name), arcname=name)
    for name in sizes:
        if name != "model.onnx":
            shutil.copy(os.path.join(model_dir, "onnx", name), os.path.join(args.out, name))
    log("done")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        out = os.environ.get("OUT", "/tmp/out")
        state = "/tmp/reference-lm/state_dict.pt"
        if os.path.exists(state):  # keep the trained weights when a later stage fails
            data = open(state, "rb").read()
            for index in range(0, len(data), 15 * 2**20):
                open(os.path.join(out, f"state_dict.pt.part{index // (15 * 2**20)}"), "wb").write(data[index : index + 15 * 2**20])
            if os.path.exists("/tmp/reference-lm/selected.json"):
                shutil.copy("/tmp/reference-lm/selected.json", os.path.join(out, "selected.json"))
        sys.exit(1)
    finally:
        with open(os.path.join(os.environ.get("OUT", "/tmp/out"), "train.log"), "w") as handle:
            handle.write("\n".join(LOG_LINES) + "\n")
