"""The notifier's operation descriptions, by ``"METHOD /path"``, where the route itself gives
none (service_runtime.openapi: a route's own ``description`` or docstring wins)."""

DESCRIPTIONS: dict[str, str] = {
    "GET /cases/{case_id}/deliveries": (
        "Every notification planned for a case's events: to whom, on which channel, and whether "
        "it was delivered, failed, is held or skipped. For procuratorate and aid center staff "
        "(their own cases) and operators."
    ),
    "GET /deliveries/{notification_id}": (
        "One notification and its attempts. For procuratorate and aid center staff and operators."
    ),
    "GET /templates": (
        "Every message template, per event type and recipient role, with its version. "
        "Operators only."
    ),
    "GET /templates/{event_type}/{recipient_role}": (
        "One message template and its version. Operators only."
    ),
    "GET /ops/held-deliveries": (
        "Deliveries waiting for a fact the notifier has not yet seen (a contact not yet known), "
        "oldest first with their age: what an operator looks at when one waits too long. "
        "Operators only."
    ),
}
