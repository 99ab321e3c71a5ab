"""Run the console: `python -m console` (settings from `CONSOLE_*` and `DEFENSE_ENV`)."""

import uvicorn

from console.app import create_app
from console.settings import ConsoleSettings

if __name__ == "__main__":
    settings = ConsoleSettings()
    # No access log: paths carry only ids, but a log of who opened which case is the
    # services' audit log's job, not a second, unsealed copy here.
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        access_log=False,
        proxy_headers=True,
    )
