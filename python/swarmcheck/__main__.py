"""The ``swarmcheck`` command: the Rust CLI, run in this process."""

import sys

from . import _native


def main() -> None:
    """Runs the CLI with ``sys.argv`` and exits with its status (0, 1 or 2)."""
    sys.exit(_native.cli_main(["swarmcheck", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
