"""SMS through Alibaba Cloud's SMS API (Dysmsapi `SendSms`, RPC style with signature version
1.0), the deliverer's sender for the SMS channel (implements `ports.Sender`). The base URL is
configurable (tests point it at a local stand-in that checks the signature).

The answer decides what happens next: `Code: OK` sent; flow control and the provider's own
errors (`isv.BUSINESS_LIMIT_CONTROL`, `isp.*`, HTTP 5xx, no answer) are retried; a bad
number, template or signature (`isv.MOBILE_NUMBER_ILLEGAL`, `isv.SMS_TEMPLATE_ILLEGAL`,
`SignatureDoesNotMatch`, …) is permanent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from services.notify.domain.deliveries import Delivery, Outcome
from services.notify.settings import NotifySettings

RETRIED = ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling")


def percent(value: str) -> str:
    return quote(value, safe="-_.~")


def signed_query(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """The query with its `Signature`: HMAC-SHA1 over METHOD&%2F&<percent-encoded sorted
    query>, keyed by the secret and "&" (Alibaba Cloud RPC signature v1)."""
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return f"Signature={percent(base64.b64encode(digest).decode())}&{canonical}"


class AliyunSmsSender:
    def __init__(self, settings: NotifySettings):
        self._settings = settings
        self._client = httpx.AsyncClient(timeout=settings.sms_timeout_seconds, trust_env=False)

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome:
        s = self._settings
        params = {
            "AccessKeyId": s.sms_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": delivery.draft.address,
            "RegionId": s.sms_region,
            "SignName": s.sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": s.sms_template_code,
            "TemplateParam": delivery.draft.body,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "OutId": delivery.id,  # the provider's receipts name our delivery
        }
        url = f"{s.sms_base_url.rstrip('/')}/?{signed_query(params, s.sms_access_key_secret)}"
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as error:
            return Outcome(False, f"{type(error).__name__}: {error}"[:2000])
        if response.status_code >= 500:
            return Outcome(False, f"{response.status_code} {response.text[:300]}")
        try:
            answer = response.json()
            code = str(answer.get("Code", ""))
        except ValueError:
            return Outcome(False, f"{response.status_code} {response.text[:300]}")
        text = f"{code} {answer.get('Message', '')} {answer.get('BizId', '')}".strip()
        if code == "OK":
            return Outcome(True, text)
        retried = code in RETRIED or code.startswith("isp.")
        return Outcome(False, text, permanent=not retried)

    async def close(self) -> None:
        await self._client.aclose()
