"""The ``swarmcheck`` command: the Rust CLI, run in this process."""

import signal
import sys

from . import _native


def main() -> None:
    """Runs the CLI with ``sys.argv`` and exits with its status (0, 1 or 2)."""
    # The CLI is Rust code that never returns to the interpreter while it waits for a lock, so a
    # Python-level SIGINT handler would only run after the wait (and the update) finished, then
    # print a traceback. Ctrl-C ends the command at once instead, as it ends the native binary:
    # the shell sees status 130, the kernel releases the lock, and no commit is ever half done
    # (a commit is a rename).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_native.cli_main(["swarmcheck", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
