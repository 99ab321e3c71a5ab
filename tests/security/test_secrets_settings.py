"""A service refuses the published local keys outside development mode, and reads its secrets
from files as orchestrators mount them (``<PREFIX>_<FIELD>_FILE``, ``DEFENSE_SECRETS_DIR``)."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.defaults import (
    LOCAL_WEBHOOK_SECRET,
    LocalDefaultsRefused,
    local_defaults_in_use,
)
from service_runtime.settings import SECRETS_DIR_VARIABLE


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _fresh() -> dict[str, Any]:
    return {
        "auth_jwt_secret": SecretStr(secrets.token_urlsafe(48)),
        "field_keys": {"k1": SecretStr(_key())},
        "field_key_id": "k1",
        "lookup_key": SecretStr(_key()),
        "audit_key": SecretStr(secrets.token_urlsafe(48)),
    }


SERVICES = [
    (procuratorate_app, ProcuratorateSettings, {}),
    (aid_center_app, AidCenterSettings, {}),
    (notifier_app, NotifierSettings, {"webhook_secret": SecretStr(secrets.token_urlsafe(32))}),
]


@pytest.fixture(autouse=True)
def _production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEFENSE_ENV", raising=False)  # the test session sets development


@pytest.mark.parametrize(("create_app", "settings_class", "own"), SERVICES)
def test_fresh_keys_start_outside_development_mode(
    create_app: Any, settings_class: Any, own: dict[str, Any]
) -> None:
    settings = settings_class(**_fresh(), **own)
    assert settings.deployment_mode == "production"
    create_app(settings)


@pytest.mark.parametrize("published", ["auth_jwt_secret", "field_keys", "lookup_key", "audit_key"])
@pytest.mark.parametrize(("create_app", "settings_class", "own"), SERVICES)
def test_any_published_key_refuses_to_start_outside_development_mode(
    create_app: Any, settings_class: Any, own: dict[str, Any], published: str
) -> None:
    values = {**_fresh(), **own}
    del values[published]
    if published == "field_keys":
        del values["field_key_id"]
    with pytest.raises(LocalDefaultsRefused, match=published):
        create_app(settings_class(**values))


def test_the_published_webhook_secret_refuses_to_start() -> None:
    settings = NotifierSettings(**_fresh(), webhook_secret=SecretStr(LOCAL_WEBHOOK_SECRET))
    with pytest.raises(LocalDefaultsRefused, match="webhook_secret"):
        notifier_app(settings)


def test_development_mode_starts_with_the_published_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFENSE_ENV", "development")
    settings = NotifierSettings()
    assert settings.deployment_mode == "development"
    notifier_app(settings)
    with pytest.raises(ValueError, match=r"deployment_mode|DEFENSE_ENV"):
        monkeypatch.setenv("DEFENSE_ENV", "staging")
        NotifierSettings()


def test_secrets_are_read_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    jwt_secret, field_key = secrets.token_urlsafe(48), _key()
    (tmp_path / "jwt").write_text(jwt_secret + "\n")
    (tmp_path / "field-keys").write_text(json.dumps({"k9": field_key}))
    monkeypatch.setenv("PROCURATORATE_AUTH_JWT_SECRET_FILE", str(tmp_path / "jwt"))
    monkeypatch.setenv("PROCURATORATE_FIELD_KEYS_FILE", str(tmp_path / "field-keys"))
    monkeypatch.setenv("PROCURATORATE_FIELD_KEY_ID", "k9")
    # Another program's *_FILE variable is none of the service's business.
    monkeypatch.setenv("SOMETHING_ELSE_FILE", str(tmp_path / "does-not-exist"))
    settings = ProcuratorateSettings()
    assert settings.auth_jwt_secret.get_secret_value() == jwt_secret
    assert settings.field_keys["k9"].get_secret_value() == field_key
    assert "auth_jwt_secret" not in local_defaults_in_use(settings)


def test_secrets_are_read_from_a_secrets_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lookup_key, webhook = _key(), secrets.token_urlsafe(32)
    (tmp_path / "notifier_lookup_key").write_text(lookup_key)
    (tmp_path / "notifier_webhook_secret").write_text(webhook)
    monkeypatch.setenv(SECRETS_DIR_VARIABLE, str(tmp_path))
    settings = NotifierSettings()
    assert settings.lookup_key.get_secret_value() == lookup_key
    assert settings.webhook_secret.get_secret_value() == webhook
    # The environment still wins over a mounted file, as with any other setting.
    monkeypatch.setenv("NOTIFIER_WEBHOOK_SECRET", "from-the-environment-" + webhook)
    assert NotifierSettings().webhook_secret.get_secret_value().startswith("from-the-env")
