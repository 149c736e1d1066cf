import sys

from coord_transform.cli import main

sys.exit(main())
