"""Headers and previews of stored files, fetched once from the logical store and cached.

A product's file is retrieved (checksum verified by the store) into the cache directory under
its sha256; the header text and the PNG preview made from it are cached beside it, so a
second request reads a small file. Previews are drawn by :func:`muse.recipes.preview.
write_preview` from the first image extension (``DATA``) and its ``DQ``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from common.errors import NotFound
from common.files import hidden_temporary, place, write_bytes_atomically

__all__ = ["FileCache"]

HEADER_CARDS = 400


class FileCache:
    """Per-checksum cache of retrieved files, header texts and previews."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _file(self, obj: Any) -> Path:
        """The object's file in the cache (retrieved from the store on first use)."""
        if not getattr(obj, "checksum", None) or not obj.filename:
            raise NotFound(f"{type(obj).__name__} {obj.object_id:#018x} has no stored file")
        path = self.directory / f"{obj.checksum}.fits"
        if not path.exists():
            obj.retrieve(path)
        return path

    def header(self, obj: Any) -> list[tuple[str, str, str]]:
        """The primary header's cards (keyword, value, comment), at most 400."""
        target = self.directory / f"{obj.checksum}.header.txt"
        with self._lock(str(obj.checksum)):
            if not target.exists():
                # lazy for start-up speed: astropy is imported when a header is first shown
                from astropy.io import fits

                header = fits.getheader(self._file(obj), 0)
                lines = [f"{card.keyword}\t{card.value}\t{card.comment}"
                         for card in header.cards[:HEADER_CARDS]]
                write_bytes_atomically(target, "\n".join(lines).encode("utf-8"))
        cards = []
        for line in target.read_text(encoding="utf-8").splitlines():
            keyword, value, comment = [*line.split("\t", 2), "", ""][:3]
            cards.append((keyword, value, comment))
        return cards

    def preview(self, obj: Any) -> Path:
        """The PNG preview of the object's image; NotFound for a file without an image."""
        target = self.directory / f"{obj.checksum}.png"
        with self._lock(str(obj.checksum)):
            if target.exists():
                return target
            # lazy for start-up speed: astropy, numpy and the recipes' kernels
            import numpy as np
            from astropy.io import fits

            from muse.recipes.preview import write_preview

            with fits.open(self._file(obj), memmap=True) as hdus:
                images = [hdu for hdu in hdus
                          if hdu.is_image and hdu.data is not None and hdu.data.ndim == 2]
                if not images:
                    raise NotFound(f"{type(obj).__name__} {obj.object_id:#018x}: its file "
                                   f"{obj.filename} has no image to preview")
                image = images[0]
                # FITS is big-endian; the preview kernel takes native-order arrays
                data = np.asarray(image.data, dtype=np.float32)
                dq = (np.asarray(hdus["DQ"].data, dtype=np.int32)
                      if "DQ" in hdus and image.name == "DATA" else None)
                partial = hidden_temporary(target)
                try:
                    write_preview(partial, data, dq=dq)
                    place(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
        return target
