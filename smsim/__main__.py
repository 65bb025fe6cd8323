import sys

from smsim.cli import main

sys.exit(main())
