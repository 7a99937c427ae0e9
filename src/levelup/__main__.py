"""`python -m levelup` is the same as the `levelup` command."""

import sys

try:
    from levelup.cli import main
except KeyboardInterrupt:  # Ctrl-C while the interpreter imports the command line
    print("levelup: interrupted by SIGINT", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
