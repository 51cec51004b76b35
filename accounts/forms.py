from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import reject_control_characters
from ui.forms import DesignedForm, FocusFirstError

INVALID_LOGIN = _("The email address or password is not correct.")


class LoginForm(DesignedForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegistrationForm(DesignedForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        validators=[reject_control_characters],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,  # the rules, before the user types
    )
    password_confirm = forms.CharField(
        label=_("Repeat password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # Whether the address is taken is for register_user to find, at the same cost either way.
        return self.cleaned_data["email"].strip()

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        elif password and "email" in cleaned:
            candidate = User(email=cleaned["email"], name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class PasswordChange(FocusFirstError, PasswordChangeForm):
    pass
