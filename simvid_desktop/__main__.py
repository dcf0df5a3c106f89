import sys

from simvid_desktop.cli import main

sys.exit(main())
