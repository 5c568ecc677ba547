"""Rebuild hw_utils/surnames.tsv.gz, the surnames of hw07_rnn, from the names-dataset package.

    python -m hw_utils.names_derive            # writes hw_utils/surnames.tsv.gz
    python -m hw_utils.names_derive --check    # exit 1 when the committed file differs

names-dataset 3.3.1 holds about a million surnames, each with the countries it is used in
and its rank there (1 = the most frequent). Loading it takes seconds and about 1 GB, so the
small derived file is committed (it ships in the student wheel) and this script is how it
is made, bit for bit:

1. for each country of COUNTRIES, its surnames by rank, most frequent first;
2. each normalised to ASCII as the PyTorch "names" tutorial does (NFD, accents dropped, only
   ALPHABET's characters); a name with any other character (another script, a letter such
   as Polish 'ł' or German 'ß' that has no ASCII base) is left out, not mangled;
3. a name among the candidates of two or more countries is left out everywhere: one label
   per name, so no test name is a training name of another country;
4. the first PER_COUNTRY names left, split per country with a seeded shuffle into
   train / valid / test (70 / 15 / 15).
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import string
import sys
import unicodedata
from pathlib import Path

ALPHABET = string.ascii_letters + " .,;'"  # the tutorial's all_letters
COUNTRIES = {"CZ": "Czech", "DE": "German", "ES": "Spanish", "FI": "Finnish", "HU": "Hungarian",
             "IE": "Irish", "IT": "Italian", "JP": "Japanese", "NL": "Dutch", "PL": "Polish"}
PER_COUNTRY = 300
CANDIDATES = 2 * PER_COUNTRY  # names looked at per country when deciding which ones are shared
SPLIT = (("train", 0.70), ("valid", 0.15), ("test", 0.15))
SEED = 0
TARGET = Path(__file__).resolve().parent / "surnames.tsv.gz"


def to_ascii(name: str) -> str | None:
    """The tutorial's unicodeToAscii, except that a name losing a character is None."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn")
    return stripped if stripped and all(c in ALPHABET for c in stripped) else None


def ranked_names(last_names: dict) -> dict[str, list[str]]:
    """Country code -> its first CANDIDATES normalised surnames, most frequent first."""
    ranked = {code: [] for code in COUNTRIES}
    for name, info in last_names.items():
        for code, rank in info["rank"].items():
            if code in ranked:
                ranked[code].append((rank, name))
    out = {}
    for code, pairs in ranked.items():
        names, seen = [], set()
        for _, name in sorted(pairs):
            ascii_name = to_ascii(name.strip())
            if ascii_name is not None and len(ascii_name) >= 2 and ascii_name not in seen:
                seen.add(ascii_name)
                names.append(ascii_name)
            if len(names) == CANDIDATES:
                break
        out[code] = names
    return out


def derive(last_names: dict) -> list[tuple[str, str, str]]:
    """Rows (split, country name, surname), sorted by split, country and surname."""
    ranked = ranked_names(last_names)
    counts: dict[str, int] = {}
    for names in ranked.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    rows = []
    for code, names in ranked.items():
        kept = [n for n in names if counts[n] == 1][:PER_COUNTRY]
        if len(kept) < PER_COUNTRY:
            raise RuntimeError(f"{code}: only {len(kept)} names left, {PER_COUNTRY} needed")
        random.Random(f"{SEED}-{code}").shuffle(kept)
        start = 0
        for split, fraction in SPLIT:
            end = len(kept) if split == SPLIT[-1][0] else start + round(fraction * len(kept))
            rows += [(split, COUNTRIES[code], name) for name in kept[start:end]]
            start = end
    return sorted(rows)


def serialise(rows) -> bytes:
    """gzip with no name and no time in its header: the same rows, the same bytes."""
    text = "split\tcountry\tname\n" + "".join(f"{s}\t{c}\t{n}\n" for s, c, n in rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", filename="", mtime=0, compresslevel=9) as f:
        f.write(text.encode("ascii"))
    return buffer.getvalue()


def build() -> bytes:
    try:
        from names_dataset import NameDataset
    except ImportError:
        raise SystemExit("names-dataset is not installed: pip install names-dataset==3.3.1") from None
    return serialise(derive(NameDataset(load_first_names=False, load_last_names=True).last_names))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        same = TARGET.is_file() and TARGET.read_bytes() == data
        print(f"{TARGET}: {'up to date' if same else 'DIFFERS from what names-dataset gives'}")
        return 0 if same else 1
    TARGET.write_bytes(data)
    print(f"wrote {TARGET} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
