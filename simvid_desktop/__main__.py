import sys

from simvid_desktop.cli.main import main

sys.exit(main())
