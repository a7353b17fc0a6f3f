"""Dispatch ``python -m lstm_gru.bench <name> [options]`` to ``lstm_gru.bench.<name>.main``."""

import importlib
import pkgutil
import sys

import lstm_gru.bench as bench


def available() -> list[str]:
    """Names of the benchmarks in this package."""
    return sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")
    )


def main(argv: list[str]) -> None:
    names = available()
    if not argv or argv[0] not in names:
        got = argv[0] if argv else "nothing"
        sys.exit(
            f"usage: python -m lstm_gru.bench NAME [options]; NAME is one of {names}, got {got}"
        )
    importlib.import_module(f"lstm_gru.bench.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
