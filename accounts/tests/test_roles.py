"""Roles are Django groups with Django permissions, assigned by command, admin or ensure_admin."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from accounts.roles import ADMINISTRATOR, OPERATOR, ROLES, VIEWER, WORKER, ensure_roles, role_of, role_permissions
from cluster.models import Server

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=role).permissions.select_related("content_type")
    }


def test_migrate_creates_each_role_as_a_group_with_exactly_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    for role in ROLES:
        assert perms(role) == set(role_permissions(role))
    assert perms(VIEWER) < perms(OPERATOR) < perms(ADMINISTRATOR)
    assert perms(WORKER) == {"cluster.use_epoch_store"}
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in perms(VIEWER))
    assert "cluster.power_server" in perms(ADMINISTRATOR) - perms(OPERATOR)


def test_setting_up_again_repairs_a_changed_group():
    group = Group.objects.get(name=OPERATOR)
    group.permissions.clear()
    call_command("setup_roles")
    ensure_roles()  # idempotent
    assert perms(OPERATOR) == set(role_permissions(OPERATOR))


def test_assign_role_replaces_the_previous_role_and_sets_staff(django_user_model, capsys):
    account = django_user_model.objects.create_user("ada")
    call_command("assign_role", "ada", "operator")
    account.refresh_from_db()
    assert role_of(account) == OPERATOR and account.is_staff
    assert account.has_perm("regressions.train_batch") and not account.has_perm("cluster.power_server")
    call_command("assign_role", "ada", "worker")
    account = django_user_model.objects.get(pk=account.pk)
    assert list(account.groups.values_list("name", flat=True)) == [WORKER] and not account.is_staff
    assert account.has_perm("cluster.use_epoch_store") and not account.has_perm("epochs.view_epoch")
    with pytest.raises(CommandError):
        call_command("assign_role", "nobody", "viewer")
    with pytest.raises(CommandError):
        call_command("assign_role", "ada", "superhero")


def test_the_admin_assigns_roles(make_user, django_user_model, client):
    client.force_login(make_user(ADMINISTRATOR, "chief"))
    ada = django_user_model.objects.create_user("ada")
    response = client.post("/admin/auth/user/", {"action": "make_viewer", "_selected_action": [ada.pk]}, follow=True)
    assert response.status_code == 200
    assert role_of(ada) == VIEWER and django_user_model.objects.get(pk=ada.pk).is_staff
    changelist = client.get("/admin/auth/user/").content.decode()
    assert "viewer" in changelist and "administrator" in changelist


def test_an_administrator_cannot_make_itself_a_superuser(make_user, client):
    chief = make_user(ADMINISTRATOR, "chief")
    client.force_login(chief)
    form = client.get(f"/admin/auth/user/{chief.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in form and 'name="groups"' in form


def test_an_operator_cannot_give_itself_a_role(make_user, client):
    operator = make_user(OPERATOR)
    client.force_login(operator)
    assert (
        client.post(
            "/admin/auth/user/", {"action": "make_administrator", "_selected_action": [operator.pk]}
        ).status_code
        == 403
    )
    assert role_of(operator) == OPERATOR


def test_provisioning_without_a_token_makes_a_worker_token_and_revokes_it_when_provisioning_fails(django_user_model):
    Server.objects.create(name="far", host="127.0.0.1", port=9, user="eb")  # nothing listens on port 9
    with pytest.raises(CommandError):
        call_command("provision_worker", "far", "--central-url", "http://central:8000", "--database-url", "sqlite:///x")
    worker = django_user_model.objects.get(username="worker-far")
    assert role_of(worker) == WORKER and not worker.has_usable_password()
    assert not AuthToken.objects.filter(user=worker).exists()
