"""swarmcheck: find memory growth and cross-process JSON file races, and fix them.

The ``swarmcheck`` command is the Rust CLI; ``swarmcheck.store`` is the cross-process locked JSON
store it recommends.
"""

__all__ = ["store"]
