"""Keeps the tokens of mailed links out of log lines (the server's request lines,
Django's "Bad Request: /link/..." warnings): a link read from a log would open
the account it was mailed for."""

from __future__ import annotations

import logging
import re

LINK_TOKEN = re.compile(r"(/link/[a-z-]+/)[^/\s?#\"']+")


def redact(text: str) -> str:
    return LINK_TOKEN.sub(r"\1[redacted]", text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
