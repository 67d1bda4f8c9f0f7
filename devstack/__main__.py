"""`python -m devstack up` starts the suite and waits for Ctrl-C; `python -m devstack migrate`
applies every service's migrations. Environment:

- TICKETING_DEV_DATA_DIR (default .data): PostgreSQL data and logs/
- TICKETING_DEV_DATABASE_URL: an external PostgreSQL server URL instead of the embedded one
- TICKETING_DEV_KAFKA_BOOTSTRAP: an external Kafka bootstrap instead of tansu
- TICKETING_GATEWAY_HOST / TICKETING_GATEWAY_PORT (default 127.0.0.1:8080)
- TICKETING_DEV_FREE_PORTS=1: free gRPC ports instead of DESIGN.md's fixed ones
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from devstack.catalogue import ROOT
from devstack.stack import Stack, StackOptions


def options_from_env() -> StackOptions:
    return StackOptions(
        data_dir=Path(os.environ.get("TICKETING_DEV_DATA_DIR", ROOT / ".data")).resolve(),
        gateway_host=os.environ.get("TICKETING_GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(os.environ.get("TICKETING_GATEWAY_PORT", "8080")),
        external_database_url=os.environ.get("TICKETING_DEV_DATABASE_URL", ""),
        external_kafka_bootstrap=os.environ.get("TICKETING_DEV_KAFKA_BOOTSTRAP", ""),
        free_ports=os.environ.get("TICKETING_DEV_FREE_PORTS", "") == "1",
    )


def up(stack: Stack) -> None:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        stack.start()
        print(
            f"\nService-ticket suite is up.\n"
            f"  gateway   {stack.gateway_url}\n"
            f"  console   {stack.gateway_url}/console/ (admin 管理后台)\n"
            f"  API docs  {stack.gateway_url}/docs\n"
            f"  postgres  {stack.database_server_url}\n"
            f"  kafka     {stack.kafka_bootstrap}\n"
            f"{stack.grpc_addresses()}"
            f"  logs      {stack.logs}\n"
            f"  mail      {stack.maildir}/new (emails sent; SMTP 127.0.0.1:{stack.smtp_port})\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        while not stopping:
            stack.supervise()
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        stack.stop()
        print("stopped.", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["up", "migrate"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polls are not news
    stack = Stack(options_from_env())
    if args.command == "up":
        up(stack)
        return
    stack.migrate_only()


if __name__ == "__main__":
    main()
