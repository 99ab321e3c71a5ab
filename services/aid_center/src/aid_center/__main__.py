"""Run the aid_center service: `python -m aid_center` (or `python -m aid_center create-topics`)."""

from aid_center.service import definition, settings_from_env
from service_runtime.cli import run_cli

if __name__ == "__main__":
    run_cli(definition(), settings_from_env)
