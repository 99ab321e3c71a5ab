"""Field types every service's API models use for what a client sends.

Dates and instants are bounded to years a case can involve (1900–2199), the same bounds as the
event contracts' (``defense_schemas.fields.Day``/``Instant``): Python's ``date`` and
``datetime`` accept year 1 to 9999, and arithmetic on their edges (``9999-12-31T23:59:59-12:00``
turned to UTC, a deadline 3 days after ``9999-12-31``) overflows into a 500. Out of range is a
422 naming the field, the bound in the published schema (``formatMinimum``/``formatMaximum``).
"""

from __future__ import annotations

from defense_schemas.fields import EARLIEST, LATEST, Day, Instant

ApiDate = Day
ApiDatetime = Instant

__all__ = ["EARLIEST", "LATEST", "ApiDate", "ApiDatetime"]
