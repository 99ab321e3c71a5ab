"""Print fresh secrets for a deployment's security settings (``python -m
service_runtime.security.keys``): never run a service with the published local defaults."""

from __future__ import annotations

import json
import secrets

from service_runtime.security.fields import generate_key


def main() -> None:
    key_id = f"k{secrets.token_hex(3)}"
    print(f"AUTH_JWT_SECRET={secrets.token_urlsafe(48)}")
    print(f"FIELD_KEYS={json.dumps({key_id: generate_key()})}")
    print(f"FIELD_KEY_ID={key_id}")
    print(f"LOOKUP_KEY={generate_key()}")
    print(f"AUDIT_KEY={generate_key()}")


if __name__ == "__main__":
    main()
