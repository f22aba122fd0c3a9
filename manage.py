#!/usr/bin/env python
"""Django's command-line utility; the same commands as `steward`."""

from steward.cli import main

if __name__ == "__main__":
    main()
