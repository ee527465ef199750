"""Imported once by the extraction pool's fork server (diarium.pipeline.extracting,
_PRELOAD), so that every worker forked from it starts with what most runs need in memory:
the Swedish word list the PDF page check consults (extractors/pdf.py is_garbage: 0.16-0.19
CPU-s to load, once per worker otherwise) and the small readers of DOCX/ODT (lxml), .doc
and .msg (olefile) and RTF. Importing this module has no other effect. Nothing here may
stop the fork server: a word list that cannot be loaded now is loaded (or fails with its
own error) in the worker that needs it."""

from __future__ import annotations

import contextlib

import lxml.etree  # noqa: F401
import olefile  # noqa: F401
import striprtf.striprtf  # noqa: F401

from diarium.swedish import stopwords, wordlist  # noqa: F401

with contextlib.suppress(Exception):
    wordlist.load()
