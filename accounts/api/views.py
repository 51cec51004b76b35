from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.oauth.claims import identity_claims
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
