"""The notifier's operationIds where the route function's name does not read as the action
(service_runtime.openapi.operation_ids: every other route's is its name)."""

OPERATION_IDS: dict[str, str] = {
    "GET /cases/{case_id}/deliveries": "listCaseDeliveries",
    "GET /deliveries/{notification_id}": "getDelivery",
    "GET /clocks": "listClocks",
    "GET /ops/held-deliveries": "listHeldDeliveries",
}
