"""`python -m gateway`: serve the HTTP gateway with uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.logs import configure_logging
from servicekit.metrics import start_metrics_server


def main() -> None:
    settings = GatewaySettings()
    configure_logging(service="gateway", level=settings.log_level)
    if settings.metrics_port is not None:
        start_metrics_server(settings.metrics_port)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,  # no banner naming the server software
    )


if __name__ == "__main__":
    main()
