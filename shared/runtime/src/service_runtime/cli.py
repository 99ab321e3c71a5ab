"""Every service's command line (``python -m <service> [serve|migrate|create-topics]``).

- ``serve`` (the default) runs the API, consumer and relay under uvicorn, and stops gracefully
  on SIGTERM (service_runtime.shutdown);
- ``migrate`` applies the service's pending database migrations and exits (what a deployment
  runs once before rolling out a new version; ``serve`` applies them too, under a lock);
- ``create-topics`` creates every platform topic and its dead-letter twin if missing, with the
  names and partition counts of the service's settings (the service also does this at start),
  where the broker lets its principal; under ACLs the administrator provisions them instead
  (``python -m defense_messaging.topics provision``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable

import uvicorn

from defense_messaging import ensure_topics
from defense_messaging.topics import TopicsMissing
from service_runtime.app import ServiceDefinition, build_app
from service_runtime.migrations import upgrade_to_head
from service_runtime.security.fields import FieldCipher
from service_runtime.settings import ServiceSettings
from service_runtime.shutdown import GracefulServer, ShutdownState


def run_cli(definition: ServiceDefinition, settings_factory: Callable[[], ServiceSettings]) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {definition.title or definition.name}")
    parser.add_argument(
        "command", nargs="?", default="serve", choices=["serve", "migrate", "create-topics"]
    )
    args = parser.parse_args()
    settings = settings_factory()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "migrate":
        asyncio.run(
            upgrade_to_head(
                definition.migrations_dir,
                str(settings.database_url),
                field_cipher=FieldCipher.from_settings(settings),
            )
        )
        print(f"{definition.name}: database at the head revision")
        return
    if args.command == "create-topics":
        try:
            created = asyncio.run(
                ensure_topics(
                    settings.kafka,
                    {topic: settings.topic_partitions for topic in settings.all_topics},
                    replication_factor=settings.topic_replication_factor,
                )
            )
        except TopicsMissing as missing:
            raise SystemExit(
                f"{missing}: under ACLs the administrator provisions topics "
                "(python -m defense_messaging.topics provision)"
            ) from None
        for name in settings.all_topics:
            print(f"{name}: {'created' if name in created else 'exists'}")
        return
    app = build_app(definition, settings)
    state: ShutdownState = app.state.shutdown
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=int(settings.shutdown_http_seconds),
    )
    GracefulServer(config, state, drain_seconds=settings.shutdown_drain_seconds).run()
