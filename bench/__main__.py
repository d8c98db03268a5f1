"""``python -m bench <name> [options]``: run one benchmark; the last stdout line is JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import auth, ledger, logs, sync

# name -> main(argv) returning an exit status. Later: auth, sync, logs.
BENCHMARKS: dict[str, Callable[[list[str]], int]] = {
    "auth": auth.main,
    "ledger": ledger.main,
    "logs": logs.main,
    "sync": sync.main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"} or args[0] not in BENCHMARKS:
        names = ", ".join(sorted(BENCHMARKS))
        print(f"usage: python -m bench <name> [options]   (names: {names})", file=sys.stderr)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    return BENCHMARKS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
