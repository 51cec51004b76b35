from django.templatetags.static import static
from django.views.generic import RedirectView

# Browsers ask every site for /favicon.ico whatever the page declares.
favicon = RedirectView.as_view(url=static("ui/favicon.svg"), permanent=False)
