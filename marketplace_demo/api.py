from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_demo.models import Installation


class MyItemsView(APIView):
    """What the bearer installed. Authenticated by IdPAccessTokenAuthentication (settings)."""

    def get(self, request):
        installs = Installation.objects.filter(sub=request.user.sub).select_related("item").order_by("item__title")
        return Response(
            {"sub": request.user.sub, "items": [{"slug": i.item.slug, "title": i.item.title} for i in installs]}
        )
