from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.audit import EventType, record_event
from accounts.models import User


class EmailAlreadyRegistered(Exception):
    pass


def register_user(request: HttpRequest, *, email: str, password: str, name: str = "") -> User:
    """Create an account and record the registration, in one transaction.

    The form checks for duplicates first; the unique blind index is what makes
    two concurrent registrations of one address fail cleanly.
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, name=name)
            record_event(EventType.REGISTRATION, user=user, request=request)
    except IntegrityError as error:
        raise EmailAlreadyRegistered from error
    return user
