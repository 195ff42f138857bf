"""`python -m grader`."""
from grader.entry import run

if __name__ == "__main__":  # a spawned Dask worker may import this module: it must not start a command
    run()
