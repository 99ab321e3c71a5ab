"""Every event of the platform, one module per producer. Importing this package registers them."""

from defense_schemas.events import aid_center, intake, notifier, procuratorate

EVENT_MODULES = (intake, procuratorate, aid_center, notifier)
"""The event modules, one per producer."""

__all__ = ["EVENT_MODULES", "aid_center", "intake", "notifier", "procuratorate"]
