"""``python -m apsnb``: the guided tour."""

from ._tour import main

raise SystemExit(main())
