"""Allow ``python -m gapbayes``."""

from gapbayes.cli import main

raise SystemExit(main())
