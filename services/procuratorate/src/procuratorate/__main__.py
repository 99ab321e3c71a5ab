"""Run the procuratorate service: `python -m procuratorate [serve|create-topics]`."""

from procuratorate.service import definition, settings_from_env
from service_runtime.cli import run_cli

if __name__ == "__main__":
    run_cli(definition(), settings_from_env)
