"""`python -m grader`."""
from grader.entry import run

run()
