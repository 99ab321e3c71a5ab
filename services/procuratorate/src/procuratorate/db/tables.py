"""The procuratorate's projection: its own tables plus the shared messaging tables."""

from __future__ import annotations

import sqlalchemy as sa

from defense_messaging import add_messaging_tables

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
