"""Reporting's unit of work on PostgreSQL (implements `service_layer.ports.ReportingUnit`)."""

from __future__ import annotations

from servicekit.uow import UnitOfWork
from services.reporting.adapters.repositories.facts import FactsRepository
from services.reporting.adapters.repositories.ledger import LedgerRepository
from services.reporting.adapters.repositories.names import NamesRepository
from services.reporting.adapters.repositories.reports import ReportsRepository


class ReportingUnitOfWork(UnitOfWork):
    ledger: LedgerRepository
    facts: FactsRepository
    names: NamesRepository
    reports: ReportsRepository

    async def __aenter__(self) -> ReportingUnitOfWork:
        await super().__aenter__()
        self.ledger = LedgerRepository(self.connection)
        self.facts = FactsRepository(self.connection)
        self.names = NamesRepository(self.connection)
        self.reports = ReportsRepository(self.connection)
        return self
