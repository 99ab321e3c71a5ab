"""Every service's command line (``python -m <service> [serve|migrate|create-topics]``).

- ``serve`` (the default) runs the API, consumer and relay under uvicorn, and stops gracefully
  on SIGTERM (service_runtime.shutdown);
- ``migrate`` applies the service's pending database migrations and exits (what a deployment
  runs once before rolling out a new version; ``serve`` applies them too, under a lock);
- ``create-topics`` is ``python -m defense_messaging.topics provision`` (the same code) for the
  topic names, partition count and replication factor of this service's settings: it creates
  every platform topic and its dead-letter twin if missing and sets back drifted settings, where
  the broker lets the service's principal; under ACLs the administrator runs ``provision``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

import uvicorn

from defense_messaging.topics import run_provision, topic_specs
from service_runtime.app import ServiceDefinition, build_app, kafka_connection
from service_runtime.logs import configure_logging, replica_name
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
    # JSON lines on stdout for the service and uvicorn alike (service_runtime.logs).
    configure_logging(definition.name, replica_name(settings), settings.log_level)
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
        specs = topic_specs(
            settings.all_topics,
            partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication_factor,
        )
        raise SystemExit(run_provision(kafka_connection(definition, settings), specs))
    app = build_app(definition, settings)
    state: ShutdownState = app.state.shutdown
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=int(settings.shutdown_http_seconds),
        # The logging configured above stays; the runtime writes the access log itself.
        log_config=None,
        access_log=False,
    )
    GracefulServer(config, state, drain_seconds=settings.shutdown_drain_seconds).run()
