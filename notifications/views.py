"""HTML pages of integrations (team admins only) and the development webhook receiver."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from artifacts.access import get_entity_for_user
from artifacts.errors import InvalidInput
from artifacts.views import page_errors
from notifications import services
from notifications.forms import IntegrationForm
from notifications.models import Delivery, Integration, ReceivedWebhook

DELIVERIES_PER_PAGE = 25
DEV_RECEIVER_MAX_BYTES = 256 * 1024


def _admin_entity(request, entity_name: str):
    """The entity, when the user is one of its admins: 404 for outsiders, 403 for other members (page_errors)."""
    return get_entity_for_user(request.user, entity_name, admin=True)


def _integration(request, entity, pk: int) -> Integration:
    integration = Integration.objects.select_related("entity", "registered_model").filter(entity=entity, pk=pk).first()
    if integration is None:
        raise Http404("No such integration.")
    return integration


def _apply_error(form: IntegrationForm, exc: InvalidInput) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@page_errors
def integration_list(request, entity_name: str):
    entity = _admin_entity(request, entity_name)
    form = IntegrationForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.integration_create(entity=entity, user=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Integration {integration.name!r} saved.")
            return redirect("notifications:integration_detail", entity_name=entity.name, pk=integration.pk)
    integrations = Integration.objects.filter(entity=entity).select_related("registered_model")
    return render(
        request, "notifications/integration_list.html", {"entity": entity, "integrations": integrations, "form": form}
    )


@require_GET
@page_errors
def integration_detail(request, entity_name: str, pk: int):
    entity = _admin_entity(request, entity_name)
    integration = _integration(request, entity, pk)
    page = Paginator(Delivery.objects.filter(integration=integration), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/integration_detail.html",
        {"entity": entity, "integration": integration, "deliveries": page},
    )


@require_http_methods(["GET", "POST"])
@page_errors
def integration_edit(request, entity_name: str, pk: int):
    entity = _admin_entity(request, entity_name)
    integration = _integration(request, entity, pk)
    initial = {
        "name": integration.name,
        "events": integration.events,
        "registered_model": integration.registered_model,
    }
    form = IntegrationForm(request.POST or None, entity=entity, integration=integration, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.integration_update(
                integration=integration,
                user=request.user,
                name=data["name"],
                events=data["events"],
                registered_model=data["registered_model"],
                url=data["url"],
                signing_secret=data["signing_secret"] or None,
            )
        except InvalidInput as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Integration saved.")
            return redirect("notifications:integration_detail", entity_name=entity.name, pk=integration.pk)
    return render(
        request, "notifications/integration_form.html", {"entity": entity, "integration": integration, "form": form}
    )


@require_POST
@page_errors
def integration_enabled(request, entity_name: str, pk: int):
    entity = _admin_entity(request, entity_name)
    integration = _integration(request, entity, pk)
    enabled = request.POST.get("enabled") == "on"
    services.integration_set_enabled(integration=integration, user=request.user, enabled=enabled)
    messages.success(request, f"Integration {'enabled' if enabled else 'disabled'}.")
    return redirect("notifications:integration_detail", entity_name=entity.name, pk=integration.pk)


@require_POST
@page_errors
def integration_delete(request, entity_name: str, pk: int):
    entity = _admin_entity(request, entity_name)
    integration = _integration(request, entity, pk)
    services.integration_delete(integration=integration, user=request.user)
    messages.success(request, f"Integration {integration.name!r} deleted.")
    return redirect("notifications:integration_list", entity_name=entity.name)


@require_POST
@page_errors
def integration_test(request, entity_name: str, pk: int):
    entity = _admin_entity(request, entity_name)
    integration = _integration(request, entity, pk)
    delivery = services.integration_send_test(integration=integration, user=request.user)
    if request.htmx:
        response = render(
            request,
            "notifications/integration_detail.html#test-result",
            {"entity": entity, "integration": integration, "test_delivery": delivery},
        )
        response["HX-Trigger"] = "deliveryTested"
        return response
    if delivery.state == Delivery.SENT:
        messages.success(request, "Test message sent.")
    else:
        messages.error(request, f"The test message failed: {delivery.last_error}")
    return redirect("notifications:integration_detail", entity_name=entity.name, pk=integration.pk)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def dev_webhooks(request):
    """A receiver to try integrations without Slack: point one at SITE_URL + /dev/webhooks/ (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404("The development receiver runs only with DEBUG on.")
    if request.method == "POST":
        if len(request.body) > DEV_RECEIVER_MAX_BYTES:
            return HttpResponse("Too large.", status=413)
        body = request.body.decode("utf-8", errors="replace")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "cookie"}
        hook = ReceivedWebhook.objects.create(headers=headers, body=body)
        # A development tool, open to any poster: keep the newest few hundred, not an ever-growing table.
        ReceivedWebhook.objects.filter(pk__lte=hook.pk - settings.DEV_RECEIVER_KEEP).delete()
        return HttpResponse("ok")
    # Posts come from integrations and stay open; the listing shows every team's alerts, so only to signed-in users.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    received = []
    for hook in ReceivedWebhook.objects.all()[:50]:
        try:
            pretty = json.dumps(json.loads(hook.body), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = hook.body
        received.append({"hook": hook, "pretty": pretty})
    url = settings.SITE_URL + reverse("notifications:dev_webhooks")
    return render(request, "notifications/dev_webhooks.html", {"received": received, "receiver_url": url})
