"""The aid_center's projection: its own tables plus the tables every service has."""

from __future__ import annotations

import sqlalchemy as sa

from service_runtime.tables import add_platform_tables

metadata = sa.MetaData()
platform = add_platform_tables(metadata)
