"""`python -m grader`."""
import sys

from grader.entry import main

if __name__ == "__main__":  # a spawned Dask worker may import this module: it must not start a command
    sys.exit(main())
