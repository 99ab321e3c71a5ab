#!/bin/sh
# The audit log of each service's database belongs to <service>_audit, a role the service
# cannot become; the service may only INSERT and SELECT it (audit_guard.sql).
set -e
for svc in procuratorate aid_center notifier; do
  psql -v ON_ERROR_STOP=1 -U postgres -d "$svc" -v service_role="$svc" \
    -v owner_role="${svc}_audit" -f /audit_guard.sql
done
