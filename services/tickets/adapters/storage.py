"""Where attachment bytes live: content-addressed (SHA-256) so identical files are stored
once. The filesystem store serves one machine or a shared volume; an object store (S3, OSS)
implements the same two methods (`service_layer.ports.AttachmentStore`)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path


class FilesystemStore:
    def __init__(self, root: Path):
        self._root = root

    async def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        await asyncio.to_thread(self._write, digest, content)
        return digest

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._path(sha256).read_bytes)

    def _write(self, digest: str, content: bytes) -> None:
        target = self._path(digest)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)  # atomic: readers never see half a file

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256 key")
        return self._root / digest[:2] / digest
