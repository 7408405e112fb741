"""Forms of the ticket pages: the public web form, the satisfaction answer, comment and status forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Category, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PublicTicketForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=128)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    category = forms.ModelChoiceField(
        label=_("Topic"), queryset=Category.objects.filter(active=True), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("How can we help?"), widget=forms.Textarea, max_length=10000)
    files = MultipleFileField(label=_("Attachments"), required=False)
    # A field people do not see: bots fill it in, and their submissions are dropped.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )


class SatisfactionForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        coerce=int,
        choices=[(5, "5 ★★★★★"), (4, "4 ★★★★"), (3, "3 ★★★"), (2, "2 ★★"), (1, "1 ★")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add?"), widget=forms.Textarea, required=False, max_length=2000
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea)
    public = forms.BooleanField(label=_("Send to the customer"), required=False)
    files = MultipleFileField(label=_("Attachments"), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)
