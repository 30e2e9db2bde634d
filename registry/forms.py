"""Forms of the registry pages: Link to Registry, aliases, model card, tags."""

import re

from django import forms


def split_names(text: str) -> list[str]:
    """Aliases typed as `staging, best` or `staging best`."""
    return [part for part in re.split(r"[\s,]+", text or "") if part]


class LinkForm(forms.Form):
    name = forms.CharField(max_length=200, label="Registered model")
    aliases = forms.CharField(max_length=1000, required=False, help_text="Comma- or space-separated, e.g. staging")

    def clean_aliases(self) -> list[str]:
        return split_names(self.cleaned_data["aliases"])


class AliasForm(forms.Form):
    # The length bound keeps huge input out of the service; the service says what a good alias is.
    alias = forms.CharField(
        max_length=200,
        error_messages={
            "required": "Type an alias to add.",
            "max_length": "This alias is too long (%(show_value)d characters).",
        },
    )
    confirm = forms.BooleanField(required=False)


class CardForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 16}), strip=False)


class TagForm(forms.Form):
    tag = forms.CharField(
        max_length=200,
        error_messages={
            "required": "Type a tag to add.",
            "max_length": "This tag is too long (%(show_value)d characters).",
        },
    )
