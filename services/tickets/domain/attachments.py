"""Attachment rules: which files are accepted, how big, and what their names become."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# extension -> MIME type. Images, PDF, office files and short videos (DESIGN: 图片、文件).
ALLOWED_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}
# What the content's magic bytes may say for each extension (None: no signature to check).
SIGNATURES: dict[str, set[str] | None] = {
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "gif": {"image/gif"},
    "webp": {"image/webp"},
    "heic": {"image/heic"},
    "pdf": {"application/pdf"},
    "docx": {"application/zip", ALLOWED_TYPES["docx"]},
    "xlsx": {"application/zip", ALLOWED_TYPES["xlsx"]},
    "pptx": {"application/zip", ALLOWED_TYPES["pptx"]},
    "doc": {"application/x-ole-storage", "application/msword"},
    "xls": {"application/x-ole-storage", "application/vnd.ms-excel"},
    "ppt": {"application/x-ole-storage", "application/vnd.ms-powerpoint"},
    "mp4": {"video/mp4"},
    "mov": {"video/quicktime", "video/mp4"},
    "txt": None,
    "csv": None,
}
_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]+")
# Direction controls make "photo_gpj.exe" show as "photo_exe.jpg": never in a name.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Markup a browser would run if it ever rendered the file as a page.
_MARKUP = re.compile(rb"<\s*(script|html|svg|iframe|object|embed)\b|<!doctype\s+html", re.I)
_IMAGES = frozenset({"jpg", "jpeg", "png", "gif", "webp", "bmp"})


@dataclass
class Attachment:
    id: str
    ticket_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploader_id: str
    uploader_kind: str
    uploader_organization_id: str = ""
    created_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int = 20 * 1024 * 1024
    allowed: dict[str, str] = field(default_factory=lambda: dict(ALLOWED_TYPES))

    def problem(self, filename: str, content: bytes, sniffed: str | None) -> tuple[str, str] | None:
        """(field, description) of the first rule the file breaks, or None."""
        extension = extension_of(filename)
        if not content:
            return "content", "is empty"
        if len(content) > self.max_bytes:
            return "content", f"is larger than {self.max_bytes // (1024 * 1024)} MB"
        if _BIDI.search(filename):
            return "filename", "must not contain text-direction control characters"
        if extension not in self.allowed:
            return "filename", "this type of file is not accepted"
        if extension in _IMAGES and _MARKUP.search(content):
            return "content", "holds markup or script after its image header"
        expected = SIGNATURES.get(extension)
        if expected is not None and sniffed not in expected:
            return "content", f"does not look like a .{extension} file"
        return None

    def content_type(self, filename: str) -> str:
        return self.allowed[extension_of(filename)]


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def sanitize_filename(name: str) -> str:
    """The last path part, without control or reserved characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "file"
    if len(name) > 120:
        stem, _, extension = name.rpartition(".")
        name = f"{stem[: 119 - len(extension)]}.{extension}" if stem else name[:120]
    return name
