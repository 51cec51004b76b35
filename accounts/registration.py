"""Creating accounts: one transaction per registration, the same work whether or
not the address is taken, and a per-network throttle."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.audit import EventType, record_event
from accounts.counting import count_attempt
from accounts.models import User
from accounts.network import network_id

THROTTLE_WINDOW_SECONDS = 3600


class EmailAlreadyRegistered(Exception):
    pass


def registration_throttled(request: HttpRequest) -> bool:
    """Counts this attempt against its network's hourly allowance
    (REGISTRATIONS_PER_NETWORK_PER_HOUR); True once that is used up."""
    key = "registration:" + hashlib.sha256(network_id(request).encode()).hexdigest()[:40]
    attempts = count_attempt(cache, key, THROTTLE_WINDOW_SECONDS)
    if attempts == settings.REGISTRATIONS_PER_NETWORK_PER_HOUR + 1:
        record_event(EventType.REGISTRATION_THROTTLED, request=request)
    return attempts > settings.REGISTRATIONS_PER_NETWORK_PER_HOUR


def register_user(request: HttpRequest, *, email: str, password: str, name: str = "") -> User:
    """Create an account and record the registration, in one transaction.

    Nothing looks the address up first: the password is hashed and the insert
    tried either way, and the unique blind index refuses a taken address, so a
    taken address costs what a new one does (no timing tells them apart) and two
    concurrent registrations of one address fail cleanly.
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, name=name)
            record_event(EventType.REGISTRATION, user=user, request=request)
    except IntegrityError as error:
        raise EmailAlreadyRegistered from error
    return user
