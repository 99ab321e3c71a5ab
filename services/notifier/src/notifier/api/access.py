"""Who may use the notifier's API (issue 7): the deadline board and delivery records are for
both agencies' staff and operators; templates (what people are told) for operators only.

Not yet object-level: the notifier's projection would need each clock's and delivery's
procuratorate unit and aid center checked against the caller's agency.
"""

from __future__ import annotations

from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Role

BOARD_READERS = require_roles(Role.PROCURATORATE_STAFF, Role.AID_CENTER_STAFF, Role.OPERATOR)
OPERATORS = require_roles(Role.OPERATOR)
