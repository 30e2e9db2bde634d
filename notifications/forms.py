"""Forms of the integration pages: they parse input; the services hold the rules."""

from django import forms

from notifications.models import Integration
from registry.models import RegisteredModel


class IntegrationForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Integration.KIND_CHOICES, initial=Integration.SLACK)
    url = forms.CharField(
        label="Webhook URL",
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "https://hooks.slack.com/services/…"}),
    )
    events = forms.MultipleChoiceField(
        choices=Integration.EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["version.linked"]
    )
    registered_model = forms.ModelChoiceField(
        queryset=RegisteredModel.objects.none(), required=False, empty_label="Every registered model"
    )
    signing_secret = forms.CharField(
        max_length=200,
        required=False,
        help_text="Generic webhooks only: the body is signed with HMAC-SHA256 in X-Registry-Signature.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, entity, integration: Integration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registered_model"].queryset = RegisteredModel.objects.filter(entity=entity)
        if integration is None:
            self.fields["url"].required = True
        else:
            # The kind is fixed once saved; the saved URL and secret are never sent back to the browser.
            del self.fields["kind"]
            self.fields["url"].help_text = f"Saved: {integration.url_masked}. Leave empty to keep it."
            self.fields["signing_secret"].help_text = "Leave empty to keep the saved secret."
