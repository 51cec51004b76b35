"""The demo's mailbox (``EMAIL_URL=demo:///folder``, which ``make demo`` sets; refused
outside development): every message is kept as an .eml file in the folder and
announced in the terminal with its links, and ``/demo/mail/`` lists them, so the
demo needs no mail server."""

from __future__ import annotations

import email
import email.policy
import re
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

LINK = re.compile(r"https?://\S+")
KEEP = 50  # the newest messages; older ones are removed


class DemoMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.DEMO_MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes())
            links = " ".join(LINK.findall(message.body))
            print(
                f"\n[demo mail] to {', '.join(message.to)}: {message.subject}\n  {links}\n", file=sys.stdout, flush=True
            )
        for old in sorted(folder.glob("*.eml"))[:-KEEP]:
            old.unlink(missing_ok=True)
        return len(email_messages)


def _read(path: Path) -> dict:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    return {
        "to": parsed["To"],
        "subject": parsed["Subject"],
        "date": parsed["Date"],
        "text": body.get_content() if body is not None else "",
    }


@never_cache
@require_GET
def mailbox(request):
    if settings.DEMO_MAILBOX_DIR is None:
        raise Http404
    folder = Path(settings.DEMO_MAILBOX_DIR)
    messages = [_read(path) for path in sorted(folder.glob("*.eml"), reverse=True)] if folder.is_dir() else []
    return render(request, "mail/demo_mailbox.html", {"mail": messages})
