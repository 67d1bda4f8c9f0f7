"""What gRPC's JSON mapping does not cover well: multipart uploads into a `bytes` field, and
raw downloads of a `bytes` field (`?alt=media`, as Google APIs do)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from google.protobuf.message import Message
from starlette.datastructures import UploadFile

from gateway.http_rules import HttpRoute
from gateway.transcode import bad_request, build_request

MAX_PART_BYTES = 32 * 1024 * 1024


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def build_from_form(
    route: HttpRoute, message_class: type[Message], request: Request
) -> Message:
    """A `body: "*"` request from form fields: text parts set fields like query parameters; a
    file part fills the bytes field it is named after, plus `filename` and `content_type` when
    the message has them and the form did not give them."""
    if route.body != "*":
        raise bad_request("body", "this method does not take a form")
    form = await request.form(max_part_size=MAX_PART_BYTES)
    texts = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    message = build_request(
        route, message_class, path_params=request.path_params, query=texts, body=b""
    )
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile):
            continue
        field = fields.get(key)
        if field is None or field.type != field.TYPE_BYTES:
            raise bad_request(key, "is not a file field of this request")
        setattr(message, key, await value.read())
        for name, given in (("filename", value.filename), ("content_type", value.content_type)):
            if name in fields and not getattr(message, name) and given:
                setattr(message, name, given)
    await form.close()
    return message


def media_response(reply: Message, headers: dict[str, str]) -> Response | None:
    """The reply's `content` bytes as the HTTP body, typed and named from its metadata."""
    fields = reply.DESCRIPTOR.fields_by_name
    if "content" not in fields or fields["content"].type != fields["content"].TYPE_BYTES:
        return None
    body: Any = reply  # a download reply: `content` bytes, metadata in `attachment` or itself
    meta: Any = body.attachment if "attachment" in fields else body
    filename = getattr(meta, "filename", "") or "download"
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    media_type = getattr(meta, "content_type", "") or "application/octet-stream"
    return Response(
        body.content,
        media_type=media_type,
        headers={**headers, "content-disposition": disposition},
    )
