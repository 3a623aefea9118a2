"""``python -m labelloop.mcp [--root DIR ...] [--transport stdio|http]``: the same as ``labelloop mcp``."""

import sys

from labelloop.cli.app import main

if __name__ == "__main__":
    main(["mcp", *sys.argv[1:]])
