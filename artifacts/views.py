"""HTML pages of the artifacts side: sign-in pages, profile (API keys), entities, projects, runs, versions, files."""

import posixpath
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from artifacts import services
from artifacts.access import entity_role, get_entity_for_user, get_project_for_user
from artifacts.downloads import blob_response
from artifacts.errors import NotFound, PermissionDenied, RegistryError
from artifacts.forms import ApiKeyForm, MemberForm, TeamForm
from artifacts.models import ApiKey, ArtifactCollection, ArtifactVersion, Membership, Run, RunInput
from artifacts.selectors import collection_get, version_find

PAGE_SIZE = 25
FILES_PAGE_SIZE = 100
LINEAGE_LIMIT = 8
NEW_KEY_SESSION = "new_api_key"


def page_errors(view: Callable) -> Callable:
    """Turn access errors into 404 (outsiders) and 403 (read-only members), signed-in users only."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapper


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def role_context(user, entity) -> dict:
    role = entity_role(user, entity)
    return {
        "role": role,
        "can_write": role in Membership.WRITE_ROLES,
        "is_admin": role == Membership.ADMIN,
    }


def get_version_for_user(
    user, entity: str, project: str, name: str, index: int, *, write: bool = False
) -> ArtifactVersion:
    """The artifact version `name:v<index>` of the project, if the user may see it (and change it when `write`)."""
    return version_find(user=user, entity=entity, project=project, name=name, selector=f"v{index}", write=write)


# --- profile and API keys ---------------------------------------------------------------------


@page_errors
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    # A plain post hands the new key to the next page through the session, shown once: reloading that page
    # must not post again and make another key.
    new_key = request.session.pop(NEW_KEY_SESSION, None) if request.method == "GET" else None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.api_key_create(user=request.user, name=form.cleaned_data["name"])
        except RegistryError as exc:
            form.add_error("name", exc.message)
        else:
            if not request.htmx:
                request.session[NEW_KEY_SESSION] = new_key
                return redirect("artifacts:profile")
            form = ApiKeyForm()
    keys = ApiKey.objects.filter(user=request.user)
    ctx = {"form": form, "keys": keys, "new_key": new_key}
    if request.htmx:
        return render(request, "artifacts/profile.html#api-keys", ctx)
    return render(request, "artifacts/profile.html", ctx)


@page_errors
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, user=request.user)
    services.api_key_revoke(key=key, user=request.user)
    if request.htmx:
        ctx = {"form": ApiKeyForm(), "keys": ApiKey.objects.filter(user=request.user), "new_key": None}
        return render(request, "artifacts/profile.html#api-keys", ctx)
    messages.success(request, f"Revoked the key {key.prefix}….")
    return redirect("artifacts:profile")


# --- entities and teams -----------------------------------------------------------------------


@page_errors
@require_http_methods(["GET", "POST"])
def team_new(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"], admin=request.user
            )
        except RegistryError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"Made the team {team.name}; you are its admin.")
            return redirect("artifacts:entity_detail", entity=team.name)
    return render(request, "artifacts/team_new.html", {"form": form}, status=400 if form.errors else 200)


@page_errors
@require_GET
def entity_detail(request: HttpRequest, entity: str) -> HttpResponse:
    entity_obj = get_entity_for_user(request.user, entity)
    projects = entity_obj.projects.annotate(run_count=Count("runs", distinct=True)).order_by("name")
    ctx = {"entity": entity_obj, "projects": paginate(request, projects), **role_context(request.user, entity_obj)}
    return render(request, "artifacts/entity_detail.html", ctx)


@page_errors
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, entity: str) -> HttpResponse:
    team = get_entity_for_user(request.user, entity, admin=True)
    if team.kind != team.TEAM:
        raise Http404("Only teams have members.")
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(username__iexact=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", f"There is no user named {form.cleaned_data['username']!r}.")
        else:
            try:
                services.membership_set(team=team, user=user, role=form.cleaned_data["role"], actor=request.user)
            except RegistryError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{user.username} is now {form.cleaned_data['role']} of {team.name}.")
                return redirect("artifacts:team_settings", entity=team.name)
    members = team.memberships.select_related("user").order_by("user__username")
    ctx = {"entity": team, "form": form, "members": members, **role_context(request.user, team)}
    return render(request, "artifacts/team_settings.html", ctx, status=400 if form.errors else 200)


@page_errors
@require_POST
def member_remove(request: HttpRequest, entity: str, user_id: int) -> HttpResponse:
    team = get_entity_for_user(request.user, entity, admin=True)
    membership = get_object_or_404(Membership.objects.select_related("user"), entity=team, user_id=user_id)
    try:
        services.membership_remove(team=team, user=membership.user, actor=request.user)
    except (NotFound, PermissionDenied):
        raise
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed {membership.user.username} from {team.name}.")
    return redirect("artifacts:team_settings", entity=team.name)


# --- projects and runs ------------------------------------------------------------------------


def _runs_with_lineage(queryset):
    return queryset.select_related("created_by").prefetch_related(
        Prefetch("logged_versions", queryset=ArtifactVersion.objects.select_related("collection__project__entity")),
        Prefetch("inputs", queryset=RunInput.objects.select_related("version__collection__project__entity")),
    )


@page_errors
@require_GET
def project_runs(request: HttpRequest, entity: str, project: str) -> HttpResponse:
    project_obj = get_project_for_user(request.user, entity, project)
    runs = paginate(request, _runs_with_lineage(project_obj.runs.all()))
    ctx = {"entity": project_obj.entity, "project": project_obj, "runs": runs, "tab": "runs"}
    return render(request, "artifacts/project_runs.html", ctx)


@page_errors
@require_GET
def project_artifacts(request: HttpRequest, entity: str, project: str) -> HttpResponse:
    project_obj = get_project_for_user(request.user, entity, project)
    newest_first = (
        ArtifactVersion.objects.order_by("-index")
        .select_related("collection__project__entity")
        .prefetch_related("aliases")
    )
    collections = (
        ArtifactCollection.objects.filter(project=project_obj)
        .annotate(version_count=Count("versions"))
        .order_by("type", "name")
        # Only the five newest per collection (the page shows five): a sliced prefetch is one windowed query,
        # so the rows fetched do not grow with the number of versions.
        .prefetch_related(Prefetch("versions", queryset=newest_first[:5], to_attr="newest"))
    )
    page = paginate(request, collections)
    groups: dict[str, list] = {}
    for collection in page:
        groups.setdefault(collection.type, []).append(collection)
    ctx = {"entity": project_obj.entity, "project": project_obj, "page": page, "groups": groups, "tab": "artifacts"}
    return render(request, "artifacts/project_artifacts.html", ctx)


@page_errors
@require_GET
def collection_detail(request: HttpRequest, entity: str, project: str, name: str) -> HttpResponse:
    """Every version of one artifact, newest first, a page at a time (the Artifacts tab shows the five newest)."""
    project_obj = get_project_for_user(request.user, entity, project)
    collection = collection_get(project=project_obj, name=name)
    versions = collection.versions.select_related("run").prefetch_related("aliases").order_by("-index")
    ctx = {"entity": project_obj.entity, "project": project_obj, "collection": collection}
    return render(request, "artifacts/collection_detail.html", {**ctx, "page": paginate(request, versions)})


@page_errors
@require_GET
def run_detail(request: HttpRequest, entity: str, project: str, run_id: str) -> HttpResponse:
    project_obj = get_project_for_user(request.user, entity, project)
    run = _runs_with_lineage(Run.objects.filter(project=project_obj, run_id=run_id)).first()
    if run is None:
        raise Http404(f"Run {run_id} not found in {project_obj}.")
    ctx = {"entity": project_obj.entity, "project": project_obj, "run": run}
    return render(request, "artifacts/run_detail.html", ctx)


# --- artifact versions and files --------------------------------------------------------------


def metadata_rows(data, depth: int = 0) -> list[tuple[int, str, str | None]]:
    """Flatten nested metadata into (depth, key, value) rows; containers get a row without value."""
    rows: list[tuple[int, str, str | None]] = []
    # Keys sorted: PostgreSQL's JSONB does not keep the order they were logged in.
    items = sorted(data.items()) if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        label = str(key) if isinstance(data, dict) else f"[{key}]"
        if isinstance(value, dict | list) and value:
            rows.append((depth, label, None))
            rows.extend(metadata_rows(value, depth + 1))
        else:
            rows.append((depth, label, _scalar(value)))
    return rows


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)


def version_context(request: HttpRequest, version: ArtifactVersion) -> dict:
    project = version.collection.project
    return {
        "entity": project.entity,
        "project": project,
        "collection": version.collection,
        "version": version,
        **role_context(request.user, project.entity),
    }


def linked_models(version: ArtifactVersion):
    """The registry links of a version, through the reverse relation (artifacts never imports the registry)."""
    return version.links.select_related("registered_model__entity", "linked_by").order_by("-created_at")


@page_errors
@require_GET
def version_detail(request: HttpRequest, entity: str, project: str, name: str, index: int) -> HttpResponse:
    version = get_version_for_user(request.user, entity, project, name, index)
    run = version.run
    upstream = []
    if run is not None:
        upstream = list(
            ArtifactVersion.objects.filter(used_by__run=run).select_related("collection__project__entity")[
                :LINEAGE_LIMIT
            ]
        )
    consumers = list(
        Run.objects.filter(inputs__version=version)
        .select_related("project__entity")
        .order_by("-created_at")[: LINEAGE_LIMIT + 1]
    )
    ctx = {
        **version_context(request, version),
        "aliases": list(version.aliases.all()),
        "metadata": metadata_rows(version.metadata or {}),
        "upstream": upstream,
        "consumers": consumers[:LINEAGE_LIMIT],
        "more_consumers": len(consumers) > LINEAGE_LIMIT,
        "links": list(linked_models(version)),
        "tab": "overview",
    }
    return render(request, "artifacts/version_detail.html", ctx)


def file_tree(entries) -> list[dict]:
    """Rows for the files table: a directory row whenever the folder changes, then its files, indented."""
    rows: list[dict] = []
    shown: set[str] = set()
    for entry in entries:
        folder = posixpath.dirname(entry.path)
        parts = folder.split("/") if folder else []
        for depth in range(len(parts)):
            prefix = "/".join(parts[: depth + 1])
            if prefix not in shown:
                shown.add(prefix)
                rows.append({"dir": True, "name": parts[depth] + "/", "depth": depth})
        rows.append({"dir": False, "name": posixpath.basename(entry.path), "depth": len(parts), "entry": entry})
    return rows


@page_errors
@require_GET
def version_files(request: HttpRequest, entity: str, project: str, name: str, index: int) -> HttpResponse:
    version = get_version_for_user(request.user, entity, project, name, index)
    page = paginate(request, version.entries.order_by("path"), FILES_PAGE_SIZE)
    ctx = {**version_context(request, version), "page": page, "rows": file_tree(page), "tab": "files"}
    return render(request, "artifacts/version_files.html", ctx)


@page_errors
@require_GET
def file_download(request: HttpRequest, entity: str, project: str, name: str, index: int, path: str) -> HttpResponse:
    version = get_version_for_user(request.user, entity, project, name, index)
    entry = version.entries.filter(path=path).first()
    if entry is None:
        raise Http404(f"{version.qualified_name} has no file {path!r}.")
    if entry.is_reference or entry.blob_id is None:
        raise Http404(f"{path!r} is a reference to {entry.ref}: its bytes are not stored here.")
    response = blob_response(request, digest=entry.blob_id, size=entry.size or 0, filename=posixpath.basename(path))
    response["X-Content-Digest"] = f"sha256:{entry.blob_id}"
    return response


class SignInView(auth_views.LoginView):
    """Django's sign-in; a user made by createsuperuser or the admin gets their own entity here."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        services.user_entity_ensure(user=form.get_user(), strict=False)
        return super().form_valid(form)
