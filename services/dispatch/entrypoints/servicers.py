"""DispatchService: proto in, use case, proto out."""

from __future__ import annotations

from google.protobuf import empty_pb2
from ticketing.dispatch.v1 import dispatch_pb2 as pb
from ticketing.dispatch.v1 import dispatch_pb2_grpc, sla_pb2

from servicekit.authz import require_caller
from servicekit.idempotency import fingerprint
from servicekit.proto_values import datetime_of, timestamp
from servicekit.rpc.interceptors import Context
from services.dispatch import mapping, sla_mapping
from services.dispatch.adapters.repositories.directory import UNLIMITED
from services.dispatch.domain.routing import Engineer
from services.dispatch.service_layer import decisions, dry_run, rules, sla
from services.dispatch.service_layer.deps import Deps


class DispatchServicer(dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateDispatchRule(
        self, request: pb.CreateDispatchRuleRequest, context: Context
    ) -> pb.DispatchRule:
        stored = await rules.create_rule(
            self._deps,
            require_caller(),
            draft=mapping.rule_draft(request.dispatch_rule),
            request_id=request.request_id,
            fingerprint=fingerprint(request),
            stage_given=request.dispatch_rule.stage != pb.RULE_STAGE_UNSPECIFIED,
        )
        return mapping.rule_pb(stored)

    async def GetDispatchRule(
        self, request: pb.GetDispatchRuleRequest, context: Context
    ) -> pb.DispatchRule:
        stored = await rules.get_rule(self._deps, require_caller(), request.dispatch_rule_id)
        return mapping.rule_pb(stored)

    async def ListDispatchRules(
        self, request: pb.ListDispatchRulesRequest, context: Context
    ) -> pb.ListDispatchRulesResponse:
        found, token = await rules.list_rules(
            self._deps,
            require_caller(),
            provider_id=request.provider_id,
            show_disabled=request.show_disabled,
            stage=mapping.STAGE_OF.get(request.stage),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListDispatchRulesResponse(
            dispatch_rules=[mapping.rule_pb(s) for s in found], next_page_token=token
        )

    async def UpdateDispatchRule(
        self, request: pb.UpdateDispatchRuleRequest, context: Context
    ) -> pb.DispatchRule:
        stored = await rules.update_rule(
            self._deps,
            require_caller(),
            draft=mapping.rule_draft(request.dispatch_rule),
            fields=set(request.update_mask.paths),
        )
        return mapping.rule_pb(stored)

    async def DeleteDispatchRule(
        self, request: pb.DeleteDispatchRuleRequest, context: Context
    ) -> empty_pb2.Empty:
        await rules.delete_rule(self._deps, require_caller(), request.dispatch_rule_id)
        return empty_pb2.Empty()

    async def DryRunDispatchRules(
        self, request: pb.DryRunDispatchRulesRequest, context: Context
    ) -> pb.DryRunDispatchRulesResponse:
        compared = await dry_run.dry_run(
            self._deps,
            require_caller(),
            drafts=[mapping.rule_draft(r) for r in request.draft_rules],
            start=datetime_of(request, "start_time"),
            end=datetime_of(request, "end_time"),
            limit=request.page_size,
        )
        now = self._deps.clock()
        return pb.DryRunDispatchRulesResponse(
            results=[
                pb.DryRunResult(
                    ticket_id=c.ticket_id,
                    create_time=timestamp(c.raised_at),
                    current=mapping.dry_run_decision_pb(c.current, now),
                    draft=mapping.dry_run_decision_pb(c.draft, now),
                    changed=c.changed,
                )
                for c in compared
            ],
            changed_count=sum(c.changed for c in compared),
        )

    async def CheckClaim(
        self, request: pb.CheckClaimRequest, context: Context
    ) -> pb.CheckClaimResponse:
        checked = await decisions.check_claim(self._deps, require_caller(), request.ticket_id)
        refusal = checked.refusal
        return pb.CheckClaimResponse(
            allowed=refusal is None,
            reason=refusal.name if refusal else "",
            description=refusal.value if refusal else "",
            claim_limit=checked.claim_limit,
        )

    async def GetEngineerAvailability(
        self, request: pb.GetEngineerAvailabilityRequest, context: Context
    ) -> pb.EngineerAvailability:
        found = await decisions.get_availability(self._deps, require_caller(), request.engineer_id)
        return _availability(found)

    async def UpdateEngineerAvailability(
        self, request: pb.UpdateEngineerAvailabilityRequest, context: Context
    ) -> pb.EngineerAvailability:
        wanted = request.availability
        found = await decisions.update_availability(
            self._deps,
            require_caller(),
            wanted.engineer_id,
            available=wanted.available,
            away_until=datetime_of(wanted, "away_until"),
            capacity=wanted.max_open_tickets,
            shift_calendar_id=wanted.shift_calendar_id,
        )
        return _availability(found)

    async def ListDispatchDecisions(
        self, request: pb.ListDispatchDecisionsRequest, context: Context
    ) -> pb.ListDispatchDecisionsResponse:
        found = await decisions.list_decisions(self._deps, require_caller(), request.ticket_id)
        return pb.ListDispatchDecisionsResponse(
            dispatch_decisions=[mapping.decision_pb(d) for d in found]
        )

    async def CreateBusinessCalendar(
        self, request: sla_pb2.CreateBusinessCalendarRequest, context: Context
    ) -> sla_pb2.BusinessCalendar:
        spec, problems = sla_mapping.calendar_spec(request.business_calendar)
        stored = await sla.create_calendar(
            self._deps,
            require_caller(),
            spec,
            problems,
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return sla_mapping.calendar_pb(stored)

    async def GetBusinessCalendar(
        self, request: sla_pb2.GetBusinessCalendarRequest, context: Context
    ) -> sla_pb2.BusinessCalendar:
        stored = await sla.get_calendar(self._deps, require_caller(), request.business_calendar_id)
        return sla_mapping.calendar_pb(stored)

    async def ListBusinessCalendars(
        self, request: sla_pb2.ListBusinessCalendarsRequest, context: Context
    ) -> sla_pb2.ListBusinessCalendarsResponse:
        found, token = await sla.list_calendars(
            self._deps, require_caller(), request.page_size, request.page_token
        )
        return sla_pb2.ListBusinessCalendarsResponse(
            business_calendars=[sla_mapping.calendar_pb(s) for s in found], next_page_token=token
        )

    async def UpdateBusinessCalendar(
        self, request: sla_pb2.UpdateBusinessCalendarRequest, context: Context
    ) -> sla_pb2.BusinessCalendar:
        spec, problems = sla_mapping.calendar_spec(request.business_calendar)
        stored, moved = await sla.update_calendar(self._deps, require_caller(), spec, problems)
        return sla_mapping.calendar_pb(stored, moved)

    async def CreateSlaPolicy(
        self, request: sla_pb2.CreateSlaPolicyRequest, context: Context
    ) -> sla_pb2.SlaPolicy:
        stored, moved = await sla.create_policy(
            self._deps,
            require_caller(),
            sla_mapping.policy_spec(request.sla_policy),
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return sla_mapping.policy_pb(stored, moved)

    async def GetSlaPolicy(
        self, request: sla_pb2.GetSlaPolicyRequest, context: Context
    ) -> sla_pb2.SlaPolicy:
        stored = await sla.get_policy(self._deps, require_caller(), request.sla_policy_id)
        return sla_mapping.policy_pb(stored)

    async def ListSlaPolicies(
        self, request: sla_pb2.ListSlaPoliciesRequest, context: Context
    ) -> sla_pb2.ListSlaPoliciesResponse:
        found, token = await sla.list_policies(
            self._deps, require_caller(), request.page_size, request.page_token
        )
        return sla_pb2.ListSlaPoliciesResponse(
            sla_policies=[sla_mapping.policy_pb(s) for s in found], next_page_token=token
        )

    async def UpdateSlaPolicy(
        self, request: sla_pb2.UpdateSlaPolicyRequest, context: Context
    ) -> sla_pb2.SlaPolicy:
        stored, moved = await sla.update_policy(
            self._deps, require_caller(), sla_mapping.policy_spec(request.sla_policy)
        )
        return sla_mapping.policy_pb(stored, moved)

    async def GetTicketSla(
        self, request: sla_pb2.GetTicketSlaRequest, context: Context
    ) -> sla_pb2.TicketSla:
        view = await sla.get_ticket_sla(self._deps, require_caller(), request.ticket_id)
        return sla_mapping.ticket_sla_pb(view)


def _availability(engineer: Engineer) -> pb.EngineerAvailability:
    return mapping.availability_pb(engineer, capacity_unlimited=UNLIMITED)
