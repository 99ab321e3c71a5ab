from service_runtime.migrations import run_env
from tests.messaging.probe import metadata

run_env(metadata)
