"""Writing the append-only audit trail. Callers pass ids and reasons, never PII."""

from __future__ import annotations

import logging
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.network import network_id

logger = logging.getLogger("accounts.audit")

EventType = AuditEvent.EventType


def record_event(
    event_type: str,
    *,
    user: User | None = None,
    user_id: object = None,
    request: HttpRequest | None = None,
    network: str = "",
    actor: User | None = None,
    sid: str = "",
    client_id: str = "",
    occurred_at: datetime | None = None,
    **detail,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        occurred_at=occurred_at or timezone.now(),
        event_type=event_type,
        user_id=user.pk if user is not None else user_id,
        actor=actor,
        sid=sid,
        client_id=client_id,
        network_id=network_id(request) if request is not None else network,
        detail=detail,
    )
    logger.info("audit %s user=%s sid=%s", event_type, event.user_id or "-", sid[:8] or "-")
    return event
