"""Encoding detection accuracy: ours vs charset-normalizer vs chardet, on government-style CSV heads.

    uv run --group bench python bench/encoding.py [--samples 60]

For each head size (64 B … 64 KB) and each true encoding (UTF-8, UTF-8 with BOM, pure Big5,
CP950 with CP950-only characters), samples of generated CSV are cut at exactly that many bytes
(often in the middle of a character, as a real HTTP range request would). Two scores per detector:
- family: the answer is in the right family (UTF-8 / Big5; any ASCII-compatible answer when
  the sample happens to be pure ASCII);
- decodes: the answered codec decodes the sample strictly to the original text (a cut character
  at the very end is allowed). Answering "big5" for a file with 碁 fails this one.
"""

from __future__ import annotations

import argparse
import codecs
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chardet
import charset_normalizer
from govdata import csv_text

from steward.quality.checks.encoding import detect_encoding

SIZES = [64, 128, 256, 1024, 4096, 16384, 65536]
CASES = {
    # name: (codec, with CP950-only characters, BOM, sparse Chinese)
    "utf-8": ("utf-8", False, b"", False),
    "utf-8-bom": ("utf-8", False, codecs.BOM_UTF8, False),
    "big5": ("big5", False, b"", False),
    "cp950": ("cp950", True, b"", False),
    "utf-8 sparse": ("utf-8", False, b"", True),
    "big5 sparse": ("big5", False, b"", True),
    "cp950 sparse": ("cp950", True, b"", True),
}
FAMILY = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "big5": "big5",
    "cp950": "big5",
    "big5hkscs": "big5",
}


def ours(sample: bytes) -> str | None:
    return detect_encoding(sample).codec


def normalizer(sample: bytes) -> str | None:
    best = charset_normalizer.from_bytes(sample).best()
    return best.encoding if best is not None else None


def chardet_detect(sample: bytes) -> str | None:
    result = chardet.detect(sample)
    return result.get("encoding") if result else None


DETECTORS: dict[str, Callable[[bytes], str | None]] = {
    "steward": ours,
    "charset-normalizer": normalizer,
    "chardet": chardet_detect,
}


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def decodes(sample: bytes, codec: str | None, text: str, true_codec: str, bom: bytes) -> bool:
    """The answer decodes the sample strictly into the start of the true text (up to a cut char)."""
    if codec is None:
        return False
    try:
        decoded = codecs.getincrementaldecoder(codec)(errors="strict").decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    decoded = decoded.removeprefix("\ufeff")
    if not text.startswith(decoded):
        return False
    # everything but at most one cut character at the end was decoded
    return len(sample) - len(bom) - len(decoded.encode(true_codec)) < 3


def run(samples: int, *, whole_lines: bool) -> None:
    family_hits: dict[tuple[str, int], int] = defaultdict(int)
    decode_hits: dict[tuple[str, int], int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    totals: dict[int, int] = defaultdict(int)
    misses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for size in SIZES:
        for case, (codec, cp950_only, bom, sparse) in CASES.items():
            for seed in range(samples):
                full = csv_text(
                    size * 2 + 200, seed=seed * 7919 + size, cp950_only=cp950_only, sparse=sparse
                )
                if (
                    cp950_only
                    and not sparse
                    and not any(c in full[: size // 2 + 40] for c in "碁銹裏墻恒粧嫺")
                ):
                    # make sure the sample really holds a CP950-only character
                    full = full.replace("\r\n", "\r\n碁銹,", 1)
                data = bom + full.encode(codec)
                sample = data[:size]
                if whole_lines and b"\r\n" in sample:
                    sample = sample[: sample.rindex(b"\r\n") + 2]
                totals[size] += 1
                for name, detect in DETECTORS.items():
                    started = time.perf_counter()
                    answer = canonical(detect(sample))
                    seconds[name] += time.perf_counter() - started
                    decode_ok = decodes(sample, answer, full, codec, bom)
                    if sample.isascii():
                        family_ok = decode_ok  # any ASCII-compatible answer is right
                    else:
                        family_ok = FAMILY.get(answer or "") == FAMILY[canonical(codec) or codec]
                    family_hits[(name, size)] += family_ok
                    decode_hits[(name, size)] += decode_ok
                    if not decode_ok:
                        misses[name][f"{case}→{answer}"] += 1

    how = "cut at whole lines" if whole_lines else "cut at the byte size (mid-character)"
    print(f"Heads {how}: {samples} samples per size × {len(CASES)} encodings")
    print()
    header = f"{'head size':>10} | " + " | ".join(f"{n:>27}" for n in DETECTORS)
    print(header)
    print(f"{'':>10} | " + " | ".join(f"{'family':>12} {'decodes':>14}" for _ in DETECTORS))
    print("-" * len(header))
    for size in SIZES:
        cells = []
        for name in DETECTORS:
            fam = family_hits[(name, size)] / totals[size]
            dec = decode_hits[(name, size)] / totals[size]
            cells.append(f"{fam:>12.1%} {dec:>14.1%}")
        print(f"{size:>9}B | " + " | ".join(cells))
    overall = sum(totals.values())
    print("-" * len(header))
    cells = []
    for name in DETECTORS:
        fam = sum(family_hits[(name, s)] for s in SIZES) / overall
        dec = sum(decode_hits[(name, s)] for s in SIZES) / overall
        cells.append(f"{fam:>12.1%} {dec:>14.1%}")
    print(f"{'all':>10} | " + " | ".join(cells))
    print()
    for name in DETECTORS:
        per = seconds[name] / overall * 1000
        print(f"{name:>20}: {seconds[name]:.2f} s total, {per:.2f} ms per sample")
    for name in DETECTORS:
        common = sorted(misses[name].items(), key=lambda kv: -kv[1])[:6]
        failures = ", ".join(f"{k} ×{v}" for k, v in common) or "none"
        print(f"{name:>20} commonest failures: {failures}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=60, help="samples per size and encoding")
    args = parser.parse_args()
    print("Encoding detection on generated government-style CSV (UTF-8, UTF-8+BOM, Big5, CP950)")
    print()
    run(args.samples, whole_lines=False)
    run(args.samples, whole_lines=True)


if __name__ == "__main__":
    main()
