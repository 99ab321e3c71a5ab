"""Run the notifier service: `python -m notifier`."""

import uvicorn

from notifier.service import create_app, settings_from_env

if __name__ == "__main__":
    settings = settings_from_env()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port)
