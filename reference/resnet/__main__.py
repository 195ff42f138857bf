"""`python -m reference.resnet`: train the reference once."""
from reference.resnet.train import main

raise SystemExit(main())
