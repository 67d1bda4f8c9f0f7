"""Notify's settings (prefix TICKETING_)."""

from __future__ import annotations

from typing import Literal

from servicekit.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    # A ticket notify first hears of from a snapshot (its creation was lost to it) still gets
    # its receipt if it is younger than this; older ones would be noise.
    late_receipt_hours: float = 24.0
    # A stream looks again this often even without a wake-up (a safety net, not the path).
    stream_recheck_seconds: float = 30.0
    source_topics: tuple[str, ...] = (
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.role.v1",
        "ticketing.tickets.ticket.v1",
        "ticketing.dispatch.sla.v1",
        "ticketing.dispatch.decision.v1",
    )
    # Outbound channels deliveries are made for, when configured: email needs smtp_host, SMS
    # sms_access_key_id, WeChat wechat_app_id.
    channels: tuple[Literal["email", "sms", "wechat", "webhook"], ...] = (
        "email", "sms", "wechat", "webhook",
    )  # fmt: skip
    # Email over SMTP. tls: "none" (plain, e.g. a local relay or the dev catcher),
    # "starttls" (upgrade on port 587) or "tls" (implicit TLS, port 465).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 15.0
    email_from: str = "服务工单平台 <no-reply@ticketing.local>"
    # The right-hand side of every Message-ID (<delivery id>@this).
    email_message_id_domain: str = "ticketing.local"
    # Email retries: attempts in all; the n-th retry waits first × 2^(n-1), at most max.
    email_attempts: int = 8
    email_retry_first_seconds: float = 30.0
    email_retry_max_seconds: float = 3600.0
    # SMS through Alibaba Cloud's SMS API (SendSms): a signed-up sign name and one template
    # with the parameters ${number}, ${status}, ${title} (domain/channels.py).
    sms_base_url: str = "https://dysmsapi.aliyuncs.com"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_region: str = "cn-hangzhou"
    sms_sign_name: str = ""
    sms_template_code: str = ""
    sms_timeout_seconds: float = 10.0
    sms_attempts: int = 5
    sms_retry_first_seconds: float = 60.0
    sms_retry_max_seconds: float = 1800.0
    # WeChat mini-program subscribe messages: the app's id and secret, and one template with
    # the keywords character_string1 (number), thing2 (title), phrase3 (status), time4.
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_template_id: str = ""
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    wechat_timeout_seconds: float = 10.0
    wechat_attempts: int = 5
    wechat_retry_first_seconds: float = 60.0
    wechat_retry_max_seconds: float = 1800.0
    # Outbound webhooks: retried for hours (12 attempts: 30 s, 1 min, … at most 1 h apart);
    # `webhook_allowed`: hosts or networks a subscription may reach although not public (e.g.
    # ["127.0.0.1/32"] for a receiver on this machine; never in production without need).
    webhook_attempts: int = 12
    webhook_retry_first_seconds: float = 30.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_timeout_seconds: float = 10.0
    webhook_allowed: tuple[str, ...] = ()
    # The deliverer looks for due deliveries this often when idle, with this many sends at
    # once.
    delivery_poll_seconds: float = 0.5
    delivery_concurrency: int = 4
