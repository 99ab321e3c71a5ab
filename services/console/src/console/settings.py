"""Settings of the console, read from `CONSOLE_*` environment variables."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from service_runtime.security.defaults import (
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    LOCAL_JWT_SECRET,
    PUBLISHED_SECRETS,
)
from service_runtime.settings import SECRETS_DIR_VARIABLE

LOCAL_SESSION_KEY = "defense-coverage-LOCAL-DEVELOPMENT-ONLY-console-session-key-0001"


class ConsoleSettings(BaseSettings):
    """Read from the environment and, like the services' secrets, from the directory
    ``$DEFENSE_SECRETS_DIR`` (one file per setting, named like its variable:
    ``CONSOLE_SESSION_KEY``, ``CONSOLE_OIDC_CLIENT_SECRET``)."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        if secrets_dir := os.environ.get(SECRETS_DIR_VARIABLE):
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)

    deployment_mode: Literal["development", "production"] = Field(
        "production",
        validation_alias=AliasChoices("DEFENSE_ENV", "deployment_mode"),
        description="`development` is the only mode with the local sign-in (a token for any "
        "role, signed with the published local key) and a cookie sent over plain HTTP",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8104

    procuratorate_url: str = "http://127.0.0.1:8101"
    aid_center_url: str = "http://127.0.0.1:8102"
    notifier_url: str = "http://127.0.0.1:8103"
    api_timeout_seconds: float = Field(15.0, gt=0)

    session_key: SecretStr = Field(
        SecretStr(LOCAL_SESSION_KEY),
        description="seals the session cookie (encrypted and authenticated); a deployment sets "
        "its own (python -m service_runtime.security.keys)",
    )
    session_max_age_seconds: int = Field(8 * 3600, ge=60, le=12 * 3600)

    # What the services verify tokens against: the console checks a token the same way before
    # it keeps it in a session, so a token the APIs would refuse never signs anyone in.
    auth_jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    auth_issuer: str = LOCAL_ISSUER
    auth_audience: str = LOCAL_AUDIENCE
    auth_jwks_url: str | None = None
    auth_leeway_seconds: int = 30
    auth_max_token_lifetime_seconds: int = 12 * 3600

    # Production sign-in: OIDC authorization code with PKCE (S256).
    oidc_issuer: str | None = Field(
        None, description="the provider's issuer URL; its discovery document is read from it"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = Field(
        None, description="only for a confidential client; PKCE is used either way"
    )
    oidc_scopes: str = "openid profile"
    oidc_refresh_margin_seconds: int = Field(
        60,
        ge=0,
        description="an access token this close to its expiry is renewed with the refresh "
        "token (when the provider gave one) before the page calls an API",
    )
    public_url: str = Field(
        "http://127.0.0.1:8104",
        description="the console's address as browsers reach it (the redirect URI is "
        "<public_url>/auth/callback)",
    )

    @property
    def development(self) -> bool:
        return self.deployment_mode == "development"

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @model_validator(mode="after")
    def _no_published_keys_outside_development(self) -> ConsoleSettings:
        if self.development:
            return self
        published = {LOCAL_SESSION_KEY, *PUBLISHED_SECRETS}
        if self.session_key.get_secret_value() in published:
            raise ValueError(
                "CONSOLE_SESSION_KEY holds the published local default: set a fresh one, or "
                "DEFENSE_ENV=development on a developer's machine"
            )
        if not self.oidc_configured:
            raise ValueError(
                "outside development the console signs people in through OIDC only: set "
                "CONSOLE_OIDC_ISSUER and CONSOLE_OIDC_CLIENT_ID"
            )
        if not self.auth_jwks_url:
            raise ValueError(
                "outside development tokens come from the OIDC provider: set "
                "CONSOLE_AUTH_JWKS_URL (the services' AUTH_JWKS_URL)"
            )
        return self
