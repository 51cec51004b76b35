from django.apps import AppConfig


class UIConfig(AppConfig):
    """The design system every site of the family uses: one stylesheet, one set of templates."""

    name = "ui"
