from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import EventType, record_event
from accounts.oauth.claims import identity_claims
from accounts.privacy.export import export_for

EXPORT_SCOPE = "account_data"
from accounts.oauth.drf import SSOAccessTokenAuthentication


class MeSerializer(serializers.Serializer):
    sub = serializers.CharField(help_text="Subject as this site knows it (pairwise for pairwise sites).")
    scope = serializers.CharField()
    email = serializers.EmailField(required=False, help_text="Only with the email scope.")
    email_verified = serializers.BooleanField(required=False)
    name = serializers.CharField(required=False, help_text="Only with the profile scope.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MeView(APIView):
    """The signed-in user, as much as the token's scopes allow."""

    authentication_classes = [SSOAccessTokenAuthentication]

    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer, 403: ErrorSerializer})
    def get(self, request):
        access = request.auth
        body = {
            "sub": access.token["sub"],
            "scope": access.token["scope"],
            **identity_claims(request.user, access.scopes),
        }
        response = Response(MeSerializer(body).data)
        response["Cache-Control"] = "no-store"
        return response


class MyDataView(APIView):
    """A copy of all the data of the token's user (GDPR articles 15 and 20), as the account
    page's "Download my data" gives it; needs a token with the account_data scope."""

    authentication_classes = [SSOAccessTokenAuthentication]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 401: ErrorSerializer, 403: ErrorSerializer})
    def get(self, request):
        access = request.auth
        if EXPORT_SCOPE not in access.scopes:
            response = Response({"detail": "This token lacks the account_data scope."}, status=403)
            response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{EXPORT_SCOPE}"'
            return response
        record_event(
            EventType.DATA_EXPORTED,
            user=request.user,
            request=request,
            client_id=access.token["client_id"],
            shown_as="api",
        )
        response = Response(export_for(request.user))
        response["Cache-Control"] = "no-store"
        return response
