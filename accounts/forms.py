from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.pii.blind_index import email_index
from accounts.validators import reject_control_characters
from ui.forms import DesignedForm, FocusFirstError

INVALID_LOGIN = _("The email address or password is not correct.")


def address_field(label=_("Email"), **attrs) -> forms.EmailField:
    """An address typed for an account: as long as RFC 5321 allows, no control characters."""
    return forms.EmailField(
        label=label,
        max_length=254,
        validators=[reject_control_characters],
        widget=forms.EmailInput(attrs={"autocomplete": "email", **attrs}),
    )


def name_field() -> forms.CharField:
    return forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class LoginForm(DesignedForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        # "webauthn": the browser offers passkeys in this field's autofill (conditional mediation).
        widget=forms.EmailInput(attrs={"autocomplete": "username webauthn", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegistrationForm(DesignedForm):
    email = address_field()
    name = name_field()
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


class PasswordResetRequestForm(DesignedForm):
    email = address_field(autofocus=True)


class NewPassword(FocusFirstError, SetPasswordForm):
    """A new password under the same validators as at registration (reset link), and
    no longer than the sign-in form takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.max_length = 4096
            field.validators.append(MaxLengthValidator(4096))


class ConfirmPasswordForm(DesignedForm):
    """A change that asks for the current password first (a fresh authentication)."""

    password = forms.CharField(
        label=_("Your current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request, self.user = request, request.user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        # Through authenticate, so wrong guesses count towards the lockout as at sign-in.
        password = self.cleaned_data["password"]
        if authenticate(self.request, email=self.user.email, password=password) is None:
            raise forms.ValidationError(_("Your current password was not entered correctly."))
        return password


class EraseAccountForm(ConfirmPasswordForm):
    understood = forms.BooleanField(
        label=_("I understand that my account and everything kept with it are deleted for good."),
        error_messages={"required": _("Tick the box to confirm that you want the account deleted.")},
    )


class EmailChangeForm(ConfirmPasswordForm):
    field_order = ["email", "password"]
    email = address_field(_("New email address"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email_index(email) == self.user.email_index:
            raise forms.ValidationError(_("This is already your address."))
        return email


class AuthenticatorSetupForm(ConfirmPasswordForm):
    field_order = ["code", "password"]
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SecondFactorForm(DesignedForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class NameForm(DesignedForm):
    name = name_field()
