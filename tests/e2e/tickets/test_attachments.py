"""Attachments through the gateway: multipart upload, type and size limits, sanitised names,
downloads with the ticket's permissions, references from comments and resolutions."""

from __future__ import annotations

import base64

from tests.e2e.tickets.helpers import cast_of, catalogue, new_ticket, ok, reason, violations

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


async def _ticket(tickets) -> dict:
    await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    return await new_ticket(tickets, type_id)


async def _upload(tickets, ticket: dict, name: str, content: bytes, login: str = "acme-user"):
    return await tickets.client.post(
        f"/v1/tickets/{ticket['ticketId']}/attachments",
        files={"content": (name, content, "application/octet-stream")},
        headers=await tickets.as_user(login),
    )


async def test_multipart_upload_list_and_download(tickets):
    ticket = await _ticket(tickets)
    attachment = await ok(await _upload(tickets, ticket, "../../现场照片.png", PNG))
    assert attachment["filename"] == "现场照片.png"
    assert (attachment["contentType"], attachment["sizeBytes"]) == ("image/png", str(len(PNG)))
    headers = await tickets.as_user("acme-user")
    base = f"/v1/tickets/{ticket['ticketId']}/attachments"
    listed = await ok(await tickets.client.get(base, headers=headers))
    assert [a["attachmentId"] for a in listed["attachments"]] == [attachment["attachmentId"]]
    raw = await tickets.client.get(
        f"{base}/{attachment['attachmentId']}", params={"alt": "media"}, headers=headers
    )
    assert raw.status_code == 200
    assert (raw.content, raw.headers["content-type"]) == (PNG, "image/png")
    assert "filename*=UTF-8''" in raw.headers["content-disposition"]
    as_json = await ok(
        await tickets.client.get(f"{base}/{attachment['attachmentId']}", headers=headers)
    )
    assert base64.b64decode(as_json["content"]) == PNG
    history = await ok(
        await tickets.client.get(f"/v1/tickets/{ticket['ticketId']}/history", headers=headers)
    )
    assert "attachment_added" in [e["action"] for e in history["entries"]]


async def test_json_upload_with_base64_content(tickets):
    ticket = await _ticket(tickets)
    response = await tickets.client.post(
        f"/v1/tickets/{ticket['ticketId']}/attachments",
        headers=await tickets.as_user("acme-user"),
        json={"filename": "log.txt", "content": base64.b64encode(b"error at 10:02").decode()},
    )
    assert (await ok(response))["contentType"] == "text/plain"


async def test_refused_types_disguised_content_and_oversize(tickets):
    ticket = await _ticket(tickets)
    exe = await _upload(tickets, ticket, "setup.exe", b"MZ\x90\x00")
    assert (exe.status_code, violations(exe.json())) == (400, ["filename"])
    disguised = await _upload(tickets, ticket, "photo.png", b"<html>not a png</html>")
    assert (disguised.status_code, violations(disguised.json())) == (400, ["content"])
    too_big = await _upload(tickets, ticket, "big.txt", b"x" * (1024 * 1024 + 1))
    assert (too_big.status_code, violations(too_big.json())) == (400, ["content"])
    listed = await ok(
        await tickets.client.get(
            f"/v1/tickets/{ticket['ticketId']}/attachments",
            headers=await tickets.as_user("acme-user"),
        )
    )
    assert listed["attachments"] == []


async def test_downloads_follow_the_tickets_permissions(tickets):
    ticket = await _ticket(tickets)
    attachment = await ok(await _upload(tickets, ticket, "a.png", PNG))
    path = f"/v1/tickets/{ticket['ticketId']}/attachments/{attachment['attachmentId']}"
    for login in ("galaxy-user", "engineer-zhao"):
        response = await tickets.client.get(
            path, params={"alt": "media"}, headers=await tickets.as_user(login)
        )
        assert response.status_code == 404
    upload = await _upload(tickets, ticket, "b.png", PNG, login="galaxy-user")
    assert upload.status_code == 404


async def test_only_the_uploader_removes_and_references_must_belong_to_the_ticket(tickets):
    cast = await cast_of(tickets)
    ticket = await _ticket(tickets)
    attachment = await ok(await _upload(tickets, ticket, "a.png", PNG))
    admin = await tickets.as_user("admin", "admin-demo-2026")
    await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}:assign",
            headers=admin,
            json={"providerId": cast.provider_id, "engineerId": cast.wang},
        )
    )
    wang = await tickets.as_user("engineer-wang")
    path = f"/v1/tickets/{ticket['ticketId']}/attachments/{attachment['attachmentId']}"
    refused = await tickets.client.delete(path, headers=wang)
    assert (refused.status_code, reason(refused.json())) == (403, "ATTACHMENT_NOT_YOURS")
    comment = await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}/comments",
            headers=wang,
            json={"body": "见照片", "attachmentIds": [attachment["attachmentId"]]},
        )
    )
    assert comment["attachmentIds"] == [attachment["attachmentId"]]
    unknown = await tickets.client.post(
        f"/v1/tickets/{ticket['ticketId']}/comments",
        headers=wang,
        json={"body": "x", "attachmentIds": ["nope"]},
    )
    assert violations(unknown.json()) == ["comment.attachmentIds"]
    await ok(
        await tickets.client.post(f"/v1/tickets/{ticket['ticketId']}:start", headers=wang, json={})
    )
    evidence = await ok(await _upload(tickets, ticket, "fixed.png", PNG, login="engineer-wang"))
    resolved = await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}:resolve",
            headers=wang,
            json={"resolution": "更换网线", "attachmentIds": [evidence["attachmentId"]]},
        )
    )
    assert resolved["status"] == "TICKET_STATUS_RESOLVED"
    await ok(await tickets.client.delete(path, headers=await tickets.as_user("acme-user")))
    gone = await tickets.client.get(path, headers=wang)
    assert gone.status_code == 404


async def test_script_behind_an_image_header_and_direction_tricks_in_names_are_refused(tickets):
    ticket = await _ticket(tickets)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    plain = await _upload(tickets, ticket, "ok.png", png + b"\x00" * 32)
    assert plain.status_code == 200, plain.text
    polyglot = await _upload(tickets, ticket, "cat.png", png + b"<script>alert(1)</script>")
    assert (polyglot.status_code, violations(polyglot.json())) == (400, ["content"])
    flipped = await _upload(tickets, ticket, "invoice\u202egnp.png", png)
    assert (flipped.status_code, violations(flipped.json())) == (400, ["filename"])
    assert "direction" in flipped.text
