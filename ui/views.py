from django.shortcuts import redirect
from django.templatetags.static import static


def favicon(request):
    """Browsers ask every site for /favicon.ico whatever the page declares. The static
    URL is resolved per request, as the pages do, not when the URLs are imported."""
    return redirect(static("ui/favicon.svg"))
