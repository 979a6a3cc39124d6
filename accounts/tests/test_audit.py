"""Destructive actions leave an audit entry: who, when, what, the parameters (no secrets)."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import AuditEntry
from cluster.models import Server

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(make_user):
    return make_user("administrator", "chief")


def test_api_deletions_and_edits_are_recorded_with_their_parameters(chief, client_of):
    server = Server.objects.create(name="a", host="127.0.0.1", port=9, user="eb")
    api = client_of(chief)
    assert (
        api.patch(
            f"/api/servers/{server.pk}/", {"max_jobs": 2, "python": "/usr/bin/python3"}, format="json"
        ).status_code
        == 200
    )
    assert api.delete(f"/api/servers/{server.pk}/").status_code == 204
    assert api.get("/api/servers/").status_code == 200  # reads are not recorded
    edit, delete = AuditEntry.objects.order_by("id")
    assert (edit.action, edit.interface, edit.user, edit.username, edit.method, edit.status_code) == (
        "server.partial_update",
        "api",
        chief,
        "chief",
        "PATCH",
        200,
    )
    assert edit.params["data"] == {"max_jobs": 2, "python": "/usr/bin/python3"} and edit.params["url"] == {
        "pk": str(server.pk)
    }
    assert edit.path == f"/api/servers/{server.pk}/" and edit.at is not None
    assert (delete.action, delete.target, delete.status_code) == ("server.destroy", f"pk={server.pk}", 204)


def test_secrets_in_parameters_are_never_recorded(chief, client_of):
    server = Server.objects.create(name="a", host="127.0.0.1", port=9, user="eb")
    body = {"key_path": "/keys/id_ed25519", "password": "hunter2", "passphrase": "open sesame", "api_token": "abc123"}
    client_of(chief).post(f"/api/servers/{server.pk}/install-key/", body, format="json")
    entry = AuditEntry.objects.get(action="server.install_key")
    assert entry.params["data"]["key_path"] == "/keys/id_ed25519"
    stored = str(entry.params)
    assert "hunter2" not in stored and "open sesame" not in stored and "abc123" not in stored
    assert entry.params["data"]["password"] == "[removed]"


def test_refused_calls_and_reads_write_nothing(make_user, client_of):
    server = Server.objects.create(name="a", host="127.0.0.1", port=9, user="eb")
    operator = client_of(make_user("operator"))
    assert operator.delete(f"/api/servers/{server.pk}/").status_code == 403
    assert operator.post(f"/api/servers/{server.pk}/reboot/").status_code == 403
    assert operator.get(f"/api/servers/{server.pk}/").status_code == 200
    assert not AuditEntry.objects.exists() and Server.objects.filter(pk=server.pk).exists()


def test_admin_actions_and_deletions_are_recorded(chief, client):
    server = Server.objects.create(name="a", host="127.0.0.1", port=9, user="eb")
    other = Server.objects.create(name="b", host="127.0.0.1", port=9, user="eb")
    third = Server.objects.create(name="c", host="127.0.0.1", port=9, user="eb")
    client.force_login(chief)
    client.post("/admin/cluster/server/", {"action": "kill_jobs", "_selected_action": [server.pk]})
    kill = AuditEntry.objects.get(action="cluster.server.kill_jobs")
    assert (kill.interface, kill.username, kill.target) == ("admin", "chief", str(server.pk))
    # Several rows at once (the admin logs those in bulk) and one from its own delete page.
    response = client.post(
        "/admin/cluster/server/",
        {"action": "delete_selected", "_selected_action": [server.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302 and list(Server.objects.all()) == [third]
    assert client.post(f"/admin/cluster/server/{third.pk}/delete/", {"post": "yes"}).status_code == 302
    deletions = AuditEntry.objects.filter(action="cluster.server.delete")
    assert sorted(deletions.values_list("target", flat=True)) == [
        f"{server.pk} (a)",
        f"{other.pk} (b)",
        f"{third.pk} (c)",
    ]
    assert all(entry.interface == "admin" and entry.username == "chief" for entry in deletions)


def test_the_audit_log_is_read_only_in_the_admin(chief, client, make_user):
    entry = AuditEntry.objects.create(username="x", interface="api", action="epoch.destroy", target="pk=_E")
    client.force_login(chief)
    assert client.get("/admin/accounts/auditentry/").status_code == 200
    page = client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/accounts/auditentry/add/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert (
        not Group.objects.get(name="administrator")
        .permissions.filter(codename__in=["change_auditentry", "delete_auditentry"])
        .exists()
    )


@pytest.mark.parametrize(
    "method, path, action",
    [
        ("delete", "/api/epochs/_NONE/", "epoch.destroy"),
        ("post", "/api/regressions/none/retrain/", "regression.retrain"),
        ("post", "/api/jobs/999/cancel/", "job.cancel"),
        ("post", "/api/servers/999/shutdown/", "server.shutdown"),
        ("post", "/api/servers/reboot-all/", "server.reboot_all"),
    ],
)
def test_every_destructive_api_call_is_recorded_with_its_answer(method, path, action, chief, client_of):
    response = getattr(client_of(chief), method)(path, {"server": None} if method == "post" else None, format="json")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.path, entry.status_code, entry.username) == (
        action,
        path,
        response.status_code,
        "chief",
    )
