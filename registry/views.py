"""HTML pages of the registry: home feed, model registry list, registered model, aliases, card, tags, linking."""

import difflib
import json
import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from artifacts.access import entities_for_user, get_entity_for_user
from artifacts.errors import NotFound, RegistryError
from artifacts.views import (
    PAGE_SIZE,
    get_version_for_user,
    linked_models,
    page_errors,
    paginate,
    role_context,
    version_context,
)
from registry import services
from registry.forms import AliasForm, CardForm, LinkForm, TagForm
from registry.markdown import render_markdown
from registry.metrics import format_number, metric_chart, metric_keys
from registry.models import ModelCardRevision, ModelVersion, RegisteredModel, RegistryAlias, RegistryEvent, Tag
from registry.selectors import model_version_get, registered_model_get

METADATA_COLUMNS = 4
CHART_POINTS = 200
HISTORY_EVENTS = 20


def get_registered_model_for_user(request: HttpRequest, entity: str, name: str, write: bool = False):
    """The registered model if the user may see it (404 otherwise), and change it when `write` (403 otherwise)."""
    return registered_model_get(user=request.user, entity_name=entity, name=name, write=write)


def _events(queryset):
    return queryset.select_related("registered_model__entity", "version", "from_version", "to_version", "actor")


# --- home and the model registry list ---------------------------------------------------------


@page_errors
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    entities = list(entities_for_user(request.user).order_by("kind", "name"))
    # Pick the newest ids first (an index scan that stops after a page), then join only those rows:
    # joining every event before sorting grew with the registry's whole history.
    newest = RegistryEvent.objects.filter(registered_model__entity__in=entities).order_by("-created_at", "-id")
    ids = list(newest.values_list("id", flat=True)[:HISTORY_EVENTS])
    events = _events(RegistryEvent.objects.filter(id__in=ids)).order_by("-created_at", "-id")
    return render(request, "registry/home.html", {"entities": entities, "events": events})


@page_errors
@require_GET
def model_list(request: HttpRequest, entity: str) -> HttpResponse:
    entity_obj = get_entity_for_user(request.user, entity)
    query = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "").strip()
    models = RegisteredModel.objects.filter(entity=entity_obj)
    if query:
        models = models.filter(name__icontains=query)
    if tag:
        models = models.filter(tags__name=tag)
    models = models.prefetch_related(
        "tags", Prefetch("aliases", queryset=RegistryAlias.objects.select_related("version"))
    ).order_by("-updated_at", "name")
    page = paginate(request, models)
    # Counted for the page's models only: annotating the whole list aggregated every version of the entity
    # before a page was cut, which grew with the registry (75 ms at 20,000 versions).
    counts = {
        row["registered_model_id"]: row
        for row in ModelVersion.objects.filter(registered_model__in=[m.pk for m in page])
        .values("registered_model_id")
        .annotate(version_count=Count("id"), newest_index=Max("index"))
    }
    for model in page:
        row = counts.get(model.pk, {})
        model.version_count = row.get("version_count", 0)
        model.newest_index = row.get("newest_index")
    all_tags = (
        Tag.objects.filter(registered_model__entity=entity_obj)
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )
    ctx = {
        "entity": entity_obj,
        "page": page,
        "query": query,
        "tag": tag,
        "all_tags": list(all_tags),
        **role_context(request.user, entity_obj),
    }
    return render(request, "registry/model_list.html", ctx)


# --- the registered model page ----------------------------------------------------------------


def _chart(model: RegisteredModel, metric: str | None) -> dict | None:
    rows = list(
        ModelVersion.objects.filter(registered_model=model)
        .order_by("-index")
        .values_list("index", "artifact_version__metadata")[:CHART_POINTS]
    )
    rows.reverse()
    return metric_chart(rows, metric)


def _versions_page(request: HttpRequest, model: RegisteredModel, page_number=None):
    versions = (
        ModelVersion.objects.filter(registered_model=model)
        .select_related("artifact_version__collection__project__entity", "linked_by")
        .prefetch_related(Prefetch("aliases", queryset=RegistryAlias.objects.order_by("name")))
        .order_by("-index")
    )
    return Paginator(versions, PAGE_SIZE).get_page(page_number or request.GET.get("page"))


def versions_context(request: HttpRequest, model: RegisteredModel, page_number=None, **extra) -> dict:
    page = _versions_page(request, model, page_number)
    columns = metric_keys((version.artifact_version.metadata for version in page), METADATA_COLUMNS)
    for version in page:
        meta = version.artifact_version.metadata or {}
        version.columns = [format_number(meta.get(key)) for key in columns]
    return {
        "model": model,
        "entity": model.entity,
        "versions": page,
        "columns": columns,
        **role_context(request.user, model.entity),
        **extra,
    }


def _alias_history(model: RegisteredModel):
    alias_kinds = [RegistryEvent.ALIAS_MOVED, RegistryEvent.ALIAS_REMOVED]
    return _events(RegistryEvent.objects.filter(registered_model=model, kind__in=alias_kinds))[:HISTORY_EVENTS]


def model_context(request: HttpRequest, model: RegisteredModel, **extra) -> dict:
    return {
        **versions_context(request, model, **extra),
        **_card_context(request, model),
        "tags": list(model.tags.all()),
        "history": _alias_history(model),
        "chart": _chart(model, request.GET.get("metric")),
    }


@page_errors
@require_GET
def model_detail(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name)
    return render(request, "registry/model_detail.html", model_context(request, model))


def _model_url(model: RegisteredModel, page_number: str | None = None) -> str:
    """The registered model page; on the versions table's page the form came from, when it says a plain number."""
    url = reverse("registry:model_detail", kwargs={"entity": model.entity.name, "name": model.name})
    if page_number and re.fullmatch(r"[0-9]{1,6}", page_number) and page_number != "1":
        url += f"?page={page_number}"
    return url


# --- aliases ----------------------------------------------------------------------------------

ALIASES_CHANGED = json.dumps({"aliasesChanged": True})


def _versions_response(
    request: HttpRequest, model: RegisteredModel, page_number, headers: dict | None = None, **extra
) -> HttpResponse:
    """HTMX gets the versions table; a plain post with an error gets the whole page with the error."""
    if request.htmx:
        ctx = versions_context(request, model, page_number, **extra)
        response = render(request, "registry/model_detail.html#versions-table", ctx)
        for header, value in (headers or {}).items():
            response[header] = value
        return response
    status = 400 if extra.get("error") else 200
    return render(request, "registry/model_detail.html", model_context(request, model, **extra), status=status)


@page_errors
@require_POST
def alias_add(request: HttpRequest, entity: str, name: str, index: int) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name, write=True)
    page_number = request.POST.get("page")
    version = model_version_get(registered_model=model, selector=f"v{index}")
    form = AliasForm(request.POST)
    if not form.is_valid():
        return _versions_response(request, model, page_number, error=form.errors["alias"][0], error_index=index)
    alias = form.cleaned_data["alias"].strip()
    holder = RegistryAlias.objects.filter(registered_model=model, name=alias).select_related("version").first()
    if holder is not None and holder.version_id != version.pk and not form.cleaned_data["confirm"]:
        # Moving an alias off another version is a visible change: ask first.
        confirm = {"alias": alias, "index": index, "from": holder.version.version_name}
        return _versions_response(request, model, page_number, confirm=confirm)
    try:
        services.registry_alias_set(version=version, alias=alias, user=request.user)
    except RegistryError as exc:
        return _versions_response(request, model, page_number, error=exc.message, error_index=index)
    if request.htmx:
        return _versions_response(request, model, page_number, headers={"HX-Trigger": ALIASES_CHANGED})
    messages.success(request, f"{model.name}:{alias} now points to v{index}.")
    return redirect(_model_url(model, page_number))


@page_errors
@require_POST
def alias_remove(request: HttpRequest, entity: str, name: str, alias: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name, write=True)
    page_number = request.POST.get("page")
    try:
        services.registry_alias_remove(registered_model=model, alias=alias, user=request.user)
    except RegistryError as exc:
        return _versions_response(request, model, page_number, error=exc.message)
    if request.htmx:
        return _versions_response(request, model, page_number, headers={"HX-Trigger": ALIASES_CHANGED})
    messages.success(request, f"Removed the alias {alias}.")
    return redirect(_model_url(model, page_number))


@page_errors
@require_GET
def alias_history(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    """The "Alias history" panel, asked again after `aliasesChanged`."""
    model = get_registered_model_for_user(request, entity, name)
    if not request.htmx:
        return redirect(_model_url(model))
    ctx = {"model": model, "entity": model.entity, "history": _alias_history(model)}
    return render(request, "registry/model_detail.html#alias-history", ctx)


# --- model card -------------------------------------------------------------------------------


def _card_context(request: HttpRequest, model: RegisteredModel, **extra) -> dict:
    return {
        "model": model,
        "entity": model.entity,
        "card_html": render_markdown(model.card),
        "revision_count": model.card_revisions.count(),
        **role_context(request.user, model.entity),
        **extra,
    }


@page_errors
@require_GET
def card(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name)
    if not request.htmx:
        return redirect(_model_url(model))
    return render(request, "registry/model_detail.html#model-card", _card_context(request, model))


@page_errors
@require_http_methods(["GET", "POST"])
def card_edit(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    """GET: the editor. POST: save a new revision."""
    model = get_registered_model_for_user(request, entity, name, write=True)
    form = CardForm(request.POST or None, initial={"body": model.card})
    if request.method == "POST" and "preview" in request.POST:
        # Preview without JavaScript: the editor again, the text kept, its rendering below; nothing saved.
        ctx = _card_context(request, model, form=form, preview_html=render_markdown(request.POST.get("body", "")))
        return render(request, "registry/card_edit.html", ctx)
    if request.method == "POST" and form.is_valid():
        try:
            services.model_card_save(registered_model=model, body=form.cleaned_data["body"], user=request.user)
        except RegistryError as exc:
            form.add_error("body", exc.message)
        else:
            if request.htmx:
                return render(request, "registry/model_detail.html#model-card", _card_context(request, model))
            messages.success(request, "Saved the model card.")
            return redirect(_model_url(model))
    ctx = _card_context(request, model, form=form)
    if request.htmx:
        return render(request, "registry/model_detail.html#card-editor", ctx)
    return render(request, "registry/card_edit.html", ctx, status=400 if form.errors else 200)


@page_errors
@require_POST
def card_preview(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    get_registered_model_for_user(request, entity, name, write=True)
    html = render_markdown(request.POST.get("body", ""))
    return render(request, "registry/model_detail.html#card-preview", {"preview_html": html})


@page_errors
@require_GET
def card_history(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name)
    revisions = model.card_revisions.select_related("author").order_by("-number")
    page = paginate(request, revisions)
    diff = None
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    if a and b:
        numbers = _revision_number(a), _revision_number(b)
        if None in numbers:
            return render(
                request,
                "registry/card_history.html",
                {"model": model, "entity": model.entity, "page": page, "error": "Choose two revision numbers."},
                status=400,
            )
        found = {r.number: r for r in ModelCardRevision.objects.filter(registered_model=model, number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise NotFound(f"{model.name} has no card revision {missing[0]}.")
        lines = difflib.unified_diff(
            found[numbers[0]].body.splitlines(),
            found[numbers[1]].body.splitlines(),
            fromfile=f"r{a}",
            tofile=f"r{b}",
            lineterm="",
        )
        diff = [(_diff_class(line), line) for line in lines]
    ctx = {"model": model, "entity": model.entity, "page": page, "diff": diff, "a": a, "b": b}
    return render(request, "registry/card_history.html", ctx)


def _revision_number(text: str) -> int | None:
    """A revision number typed in the query string, or None: ASCII digits only ("²".isdigit() is true too),
    and short enough for the database's integer."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "meta"
    return {"+": "add", "-": "del"}.get(line[:1], "")


# --- tags -------------------------------------------------------------------------------------


def _tags_response(request: HttpRequest, model: RegisteredModel, error: str = "") -> HttpResponse:
    if request.htmx:
        ctx = {"model": model, "entity": model.entity, "tags": list(model.tags.all()), "tag_error": error}
        ctx.update(role_context(request.user, model.entity))
        return render(request, "registry/model_detail.html#model-tags", ctx)
    if error:
        return render(request, "registry/model_detail.html", model_context(request, model, tag_error=error), status=400)
    return redirect(_model_url(model))


@page_errors
@require_POST
def tag_add(request: HttpRequest, entity: str, name: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name, write=True)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _tags_response(request, model, form.errors["tag"][0])
    try:
        services.model_tag_add(registered_model=model, tag=form.cleaned_data["tag"], user=request.user)
    except RegistryError as exc:
        return _tags_response(request, model, exc.message)
    return _tags_response(request, model)


@page_errors
@require_POST
def tag_remove(request: HttpRequest, entity: str, name: str, tag: str) -> HttpResponse:
    model = get_registered_model_for_user(request, entity, name, write=True)
    try:
        services.model_tag_remove(registered_model=model, tag=tag, user=request.user)
    except RegistryError as exc:
        return _tags_response(request, model, exc.message)
    return _tags_response(request, model)


# --- Link to Registry -------------------------------------------------------------------------


@page_errors
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, entity: str, project: str, name: str, index: int) -> HttpResponse:
    """The Link to Registry dialog (HTMX) or page (plain): pick or name a registered model, add aliases."""
    # Writers only, as the button that opens it: a viewer gets 403 (the page's banner says why), outsiders 404.
    version = get_version_for_user(request.user, entity, project, name, index, write=True)
    entity_obj = version.collection.project.entity
    form = LinkForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            link, _ = services.model_link(
                artifact_version=version,
                entity=entity_obj,
                name=form.cleaned_data["name"],
                aliases=form.cleaned_data["aliases"],
                user=request.user,
            )
        except RegistryError as exc:
            error = exc.message
        else:
            label = f"{link.registered_model.name}:{link.version_name}"
            if request.htmx:
                response = HttpResponse("")
                response["HX-Trigger"] = json.dumps({"versionLinked": {"label": label}, "closeModal": True})
                return response
            messages.success(request, f"Linked {version.qualified_name} as {label}.")
            return redirect("artifacts:version_detail", entity=entity_obj.name, project=project, name=name, index=index)
    ctx = {
        **version_context(request, version),
        "form": form,
        "error": error,
        "model_names": list(RegisteredModel.objects.filter(entity=entity_obj).values_list("name", flat=True)[:500]),
    }
    if request.htmx:
        # An invalid form stays in the dialog with 200 so HTMX swaps it in.
        return render(request, "registry/link_dialog.html#dialog", ctx)
    status = 400 if (error or form.errors) else 200
    return render(request, "registry/link_dialog.html", ctx, status=status)


@page_errors
@require_GET
def linked_panel(request: HttpRequest, entity: str, project: str, name: str, index: int) -> HttpResponse:
    """The version page's parts that show its links, asked again after `versionLinked`: the "Linked to" panel,
    or with `?part=registered-as` the lineage graph's "Registered as" column."""
    version = get_version_for_user(request.user, entity, project, name, index)
    ctx = {**version_context(request, version), "links": list(linked_models(version))}
    if not request.htmx:
        return redirect("artifacts:version_detail", entity=entity, project=project, name=name, index=index)
    part = "registered-as" if request.GET.get("part") == "registered-as" else "linked-to"
    return render(request, f"artifacts/version_detail.html#{part}", ctx)
