"""Run the notifier service: `python -m notifier` (or `python -m notifier create-topics`)."""

from notifier.service import definition, settings_from_env
from service_runtime.cli import run_cli

if __name__ == "__main__":
    run_cli(definition(), settings_from_env)
