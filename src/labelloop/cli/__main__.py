"""``python -m labelloop.cli``: the same as ``labelloop``."""

from labelloop.cli.app import main

if __name__ == "__main__":  # pragma: no cover
    main()
