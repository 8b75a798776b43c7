"""``python -m nat_cli``: the ``nat`` command (also what ``torchrun -m nat_cli pretrain`` runs)."""

import sys

from nat_cli.main import main

sys.exit(main())
