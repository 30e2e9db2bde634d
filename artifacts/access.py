"""Who may see and change what: the one place the artifacts side checks access.

Outsiders get NotFound (they may not learn a team's things exist); read-only members
get PermissionDenied when they try to write.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from artifacts.errors import NotFound, PermissionDenied
from artifacts.expressions import JoinedRows
from artifacts.models import Entity, Membership, Project

User = AbstractBaseUser | AnonymousUser


def entity_role(user: User, entity: Entity) -> str | None:
    """The user's role in the entity, or None. A user is admin of their own entity."""
    if not user or not user.is_authenticated:
        return None
    if entity.user_id is not None and entity.user_id == user.pk:
        return Membership.ADMIN
    if hasattr(entity, "viewer_role"):  # fetched with the entity by get_entity_for_user, for this user
        return entity.viewer_role
    return Membership.objects.filter(user=user, entity=entity).values_list("role", flat=True).first()


def can_write(user: User, entity: Entity) -> bool:
    return entity_role(user, entity) in Membership.WRITE_ROLES


def is_admin(user: User, entity: Entity) -> bool:
    return entity_role(user, entity) == Membership.ADMIN


def check_entity(user: User, entity: Entity, *, write: bool = False, admin: bool = False) -> str:
    role = entity_role(user, entity)
    if role is None:
        raise NotFound(f"Entity {entity.name!r} not found.")
    if admin and role != Membership.ADMIN:
        raise PermissionDenied(f"Only admins of {entity.name!r} may do this.")
    if write and role not in Membership.WRITE_ROLES:
        raise PermissionDenied(f"Your role in {entity.name!r} is {role}: it may read but not change.")
    return role


def caller_id(user: User) -> int | None:
    """The parameter of role_sql: the user's id, or None (no role anywhere) for an anonymous caller."""
    return user.pk if user and user.is_authenticated else None


def role_sql(entity: str) -> str:
    """SQL of the caller's membership role in the entity of table alias `entity`, for the hand-written hot
    lookups (its one parameter is caller_id(user)); entity_role reads it back as the entity's viewer_role."""
    return f"(SELECT m.role FROM artifacts_membership m WHERE m.entity_id = {entity}.id AND m.user_id = %s LIMIT 1)"


# The caller's role comes in the same query as the entity: every request passes here, and the ORM's
# compiling of the subquery cost more than running it.
_ENTITY_LOOKUP = JoinedRows(
    {"e": Entity}, "FROM artifacts_entity e WHERE LOWER(e.name) = LOWER(%s)", extra={"role": role_sql("e")}
)


def get_entity_for_user(user: User, name: str, *, write: bool = False, admin: bool = False) -> Entity:
    found = _ENTITY_LOOKUP.first([caller_id(user), name])
    if found is None:
        raise NotFound(f"Entity {name!r} not found.")
    entity = found[0]["e"]
    entity.viewer_role = found[1]["role"]
    check_entity(user, entity, write=write, admin=admin)
    return entity


def get_project_for_user(user: User, entity_name: str, project_name: str, *, write: bool = False) -> Project:
    entity = get_entity_for_user(user, entity_name, write=write)
    project = Project.objects.select_related("entity").filter(entity=entity, name=project_name).first()
    if project is None:
        raise NotFound(f"Project {entity.name}/{project_name} not found.")
    return project


def entities_for_user(user: User):
    """Every entity the user can see: their own and the teams they belong to."""
    if not user or not user.is_authenticated:
        return Entity.objects.none()
    return Entity.objects.filter(Q(user=user) | Q(memberships__user=user)).distinct()
