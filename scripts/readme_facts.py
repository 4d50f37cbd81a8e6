"""Counts the READMEs state about the repository, computed instead of typed.

    python scripts/readme_facts.py            # print each fact and its value
    python scripts/readme_facts.py --write    # put the values into README.md and benchmarks/README.md
    python scripts/readme_facts.py --check    # exit 1 when a README states another value (a test runs this)

A README marks each such number as ``<!-- fact:NAME -->VALUE<!-- /fact -->``.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = (ROOT / "README.md", ROOT / "benchmarks" / "README.md")
MARK = re.compile(r"<!-- fact:(?P<name>[a-z_]+) -->(?P<value>.*?)<!-- /fact -->")
WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def facts() -> dict:
    """Each fact's value, as it should read in the README."""
    library = sorted((ROOT / "ganlib").glob("*.py"))
    lines = sum(len(path.read_text().splitlines()) for path in library)
    benchmarks = [path for path in (ROOT / "benchmarks").glob("*.py") if path.name != "machine.py"]
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return {"ganlib_lines": f"{lines:,}", "ganlib_modules": str(len(library)),
            "benchmark_scripts": WORDS.get(len(benchmarks), str(len(benchmarks))),
            "notebooks": WORDS.get(len(notebooks), str(len(notebooks)))}


def as_written(value, current):
    """``value`` capitalised like the README's current text (a number word may start a sentence)."""
    return value.capitalize() if current[:1].isupper() else value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update the READMEs")
    mode.add_argument("--check", action="store_true", help="fail when a README is out of date")
    args = parser.parse_args(argv)
    values = facts()
    stale = []
    for readme in READMES:
        text = readme.read_text()
        for match in MARK.finditer(text):
            name = match["name"]
            if name not in values:
                sys.exit(f"{readme.name}: unknown fact {name!r}; known: {', '.join(values)}.")
            if match["value"] != as_written(values[name], match["value"]):
                stale.append(f"{readme.relative_to(ROOT)}: {name} reads {match['value']!r}, is {values[name]!r}")
        if args.write:
            readme.write_text(MARK.sub(lambda m: f"<!-- fact:{m['name']} -->{as_written(values[m['name']], m['value'])}"
                                                 "<!-- /fact -->", text))
    if args.check:
        if stale:
            sys.exit("Out of date (run python scripts/readme_facts.py --write):\n" + "\n".join(stale))
        print("the READMEs' facts are current")
    elif not args.write:
        for name, value in values.items():
            print(f"{name:<18} {value}")


if __name__ == "__main__":
    main()
