"""ReportingService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.api import httpbody_pb2
from ticketing.reporting.v1 import reporting_pb2 as pb
from ticketing.reporting.v1 import reporting_pb2_grpc

from servicekit.authz import require_caller
from servicekit.exports import chunks, disposition
from servicekit.paging import page_limit
from servicekit.rpc.interceptors import Context
from services.reporting import mapping
from services.reporting.service_layer import exports, reports
from services.reporting.service_layer.deps import Deps


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def GetTicketVolume(
        self, request: pb.GetTicketVolumeRequest, context: Context
    ) -> pb.TicketVolumeReport:
        interval = mapping.enum_of(mapping.INTERVAL, request.interval, "interval")
        rows = await reports.volume(
            self._deps, require_caller(), mapping.filter_of(request.filter), interval
        )
        return mapping.volume_pb(rows)

    async def GetTicketDurations(
        self, request: pb.GetTicketDurationsRequest, context: Context
    ) -> pb.TicketDurationsReport:
        group_by = (
            mapping.enum_of(mapping.DIMENSION, request.group_by, "group_by")
            if request.group_by
            else None
        )
        found = await reports.durations(
            self._deps, require_caller(), mapping.filter_of(request.filter), group_by
        )
        return mapping.durations_pb(found)

    async def GetTopTen(self, request: pb.GetTopTenRequest, context: Context) -> pb.TopTenReport:
        dimension = mapping.enum_of(mapping.DIMENSION, request.dimension, "dimension")
        measure = mapping.enum_of(mapping.MEASURE, request.measure, "measure")
        found = await reports.top_ten(
            self._deps, require_caller(), mapping.filter_of(request.filter), dimension, measure
        )
        return pb.TopTenReport(entries=[mapping.ranked_pb(r) for r in found])

    async def GetSlaCompliance(
        self, request: pb.GetSlaComplianceRequest, context: Context
    ) -> pb.SlaComplianceReport:
        found = await reports.sla_compliance(
            self._deps, require_caller(), mapping.filter_of(request.filter)
        )
        return pb.SlaComplianceReport(
            response_total=found.response_total,
            response_met=found.response_met,
            resolution_total=found.resolution_total,
            resolution_met=found.resolution_met,
        )

    async def GetSatisfaction(
        self, request: pb.GetSatisfactionRequest, context: Context
    ) -> pb.SatisfactionReport:
        interval = (
            mapping.enum_of(mapping.INTERVAL, request.interval, "interval")
            if request.interval
            else None
        )
        found = await reports.satisfaction(
            self._deps, require_caller(), mapping.filter_of(request.filter), interval
        )
        return mapping.satisfaction_pb(found)

    async def GetWorkload(
        self, request: pb.GetWorkloadRequest, context: Context
    ) -> pb.WorkloadReport:
        query_filter = mapping.filter_of(request.filter)
        rows, days = await reports.workload(self._deps, require_caller(), query_filter)
        return pb.WorkloadReport(entries=[mapping.workload_pb(r, days) for r in rows])

    async def ListServiceLog(
        self, request: pb.ListServiceLogRequest, context: Context
    ) -> pb.ListServiceLogResponse:
        limit = page_limit(request.page_size, default=50, maximum=500)
        entries, next_key = await reports.service_log(
            self._deps,
            require_caller(),
            mapping.filter_of(request.filter),
            after=mapping.log_key_of(request.page_token),
            limit=limit,
        )
        return pb.ListServiceLogResponse(
            entries=[mapping.log_entry_pb(e) for e in entries],
            next_page_token=mapping.log_token(next_key),
        )

    async def ExportReport(
        self, request: pb.ExportReportRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        spec = exports.ExportSpec(
            report=mapping.enum_of(mapping.REPORT, request.report, "report"),
            interval=mapping.enum_of(mapping.INTERVAL, request.interval, "interval"),
            dimension=mapping.enum_of(mapping.DIMENSION, request.dimension, "dimension")
            if request.dimension
            else None,
            measure=mapping.enum_of(mapping.MEASURE, request.measure, "measure"),
        )
        file_format = mapping.enum_of(mapping.FORMAT, request.format, "format")
        table = await exports.export(
            self._deps, require_caller(), mapping.filter_of(request.filter), spec
        )
        filename = f"{table.name}-{self._deps.clock():%Y%m%d-%H%M%S}.{file_format.value}"
        await context.send_initial_metadata((("content-disposition", disposition(filename)),))
        async for chunk in chunks(table, file_format):
            yield httpbody_pb2.HttpBody(content_type=file_format.content_type, data=chunk)
