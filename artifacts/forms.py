"""Forms of the artifacts pages: API keys and team members."""

from django import forms

from artifacts.models import Membership


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label="Key name")


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.ROLE_CHOICES, initial=Membership.MEMBER)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=64, label="Team name")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
