"""Run the benchmarks named on the command line, or all of them."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="newsflow-bench-airflow-"))


def available() -> list[str]:
    folder = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(folder)])
        if m.name.startswith("bench_")
    )


USAGE = """usage: python -m benchmarks [NAME ...] [OPTIONS]

Runs the named benchmarks (all of them when none is named); OPTIONS go to each named one that
takes options (python -m benchmarks night --help). Benchmarks: {names}"""


def main(argv: list[str]) -> int:
    """Benchmark names, then options (``--articles 1000``) passed to each named benchmark."""
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if not names and options:
        print(USAGE.format(names=", ".join(available())))
        return 0 if options[0] in ("-h", "--help") else 2
    names = names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    modules = {name: importlib.import_module(f"benchmarks.bench_{name}") for name in names}
    fixed = [n for n, m in modules.items() if options and not inspect.signature(m.main).parameters]
    if fixed:
        print(f"{', '.join(fixed)} take(s) no options; got: {' '.join(options)}")
        return 2
    for name, module in modules.items():
        print(f"== {name}  (reproduce: python -m benchmarks {name})")
        module.main(options) if options else module.main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
