"""Regenerate portal/migrations/versions/0001_initial_schema.py from portal/models.py.

Development-only while the project has no deployed database: after the first release,
add new revisions instead (`alembic revision --autogenerate`).
"""

import tempfile
from pathlib import Path

from alembic import command

from portal.db import alembic_config

with tempfile.TemporaryDirectory() as tmp:
    config = alembic_config(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
