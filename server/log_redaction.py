"""Keep device tokens out of logs: `/key/<token>/…` paths are logged as `/key/[redacted]/…`.

The token URL (server/openrosa.py) is a credential. waitress logs the path of a request whose
handler failed ("Exception while serving /key/…"), Flask logs "Exception on /key/… [POST]",
werkzeug's development server logs every request line, and a reverse proxy may log more (see
docs/tablets.md for its configuration). A log record factory redacts the formatted message of
every record, whichever logger or handler it goes through; installing it twice is harmless.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_PATH = re.compile(r"/key/[^/\s?#\"']+")
REDACTED = "/key/[redacted]"


def redact(text: str) -> str:
    """The text with every token of a token URL replaced."""
    return _TOKEN_IN_PATH.sub(REDACTED, text)


class _RedactingRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return redact(super().getMessage())


def install() -> None:
    """Make every log record redact token URLs in its message (and in its traceback text)."""
    if logging.getLogRecordFactory() is _make_record:
        return
    global _previous_factory
    _previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_make_record)


_previous_factory = logging.getLogRecordFactory()


def _make_record(*args, **kwargs) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    if type(record) is logging.LogRecord:
        record.__class__ = _RedactingRecord
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # formatters reuse exc_text: a traceback quoting the URL is redacted too
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record
