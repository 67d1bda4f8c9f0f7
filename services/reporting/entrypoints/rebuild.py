"""`python -m services.reporting.entrypoints.rebuild [--cut TIME]`: rebuild the ticket facts and
their history from the ledger into new tables and swap them in, while the reports keep answering
and the recorder keeps recording (adapters/rebuild.py). Prints what it folded. With `--cut`
(ISO 8601 with an offset), only what was known by then counts — the facts an `asOfTime` report
at that moment answers from; run it again without `--cut` to return to the present."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from servicekit.db import create_engine
from servicekit.logs import configure_logging
from services.reporting import mapping
from services.reporting.adapters.rebuild import rebuild
from services.reporting.settings import ReportingSettings


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time zone, e.g. 2026-11-23T09:00:00+08:00")
    return moment


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cut", type=_moment, default=None)
    args = parser.parse_args()
    settings = ReportingSettings()
    configure_logging(service="reporting-rebuild", level=settings.log_level)
    engine = create_engine(settings.database_url)
    try:
        done = await rebuild(engine, mapping.ticket_event_of, cut=args.cut)
    finally:
        await engine.dispose()
    rate = done.events / done.seconds if done.seconds else 0.0
    print(
        f"rebuilt {done.tickets} ticket facts from {done.events} ledger events "
        f"in {done.seconds:.1f} s ({rate:,.0f} events/s; folding {done.folding_seconds:.1f} s, "
        f"indexing {done.indexing_seconds:.1f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
