"""`python -m grader`."""
import sys

from grader.entry import main

sys.exit(main())
