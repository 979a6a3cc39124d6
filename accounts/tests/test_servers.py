"""Servers under the roles: power goes through the (harmless, in tests) power command and is
recorded; editing a server's connection withdraws its host-key confirmation."""

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEntry
from cluster.models import Server, ServerAction
from testing.servers import make_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def ssh_dir(settings, tmp_path):
    settings.SSH_DIR = tmp_path / "ssh"
    return settings.SSH_DIR


def test_power_reaches_a_real_server_only_for_an_administrator_and_runs_the_harmless_command(
    ssh_servers, ssh_dir, make_user, client_of
):
    # Safety first: the suite's SSH servers run on this very machine.
    assert all(command[0] == "echo" for command in settings.SERVER_POWER_COMMANDS.values())
    server = make_server(ssh_servers.specs[0])
    for role in ("viewer", "operator", "worker"):
        assert client_of(make_user(role)).post(f"/api/servers/{server.pk}/reboot/").status_code == 403
    assert not ServerAction.objects.exists() and not AuditEntry.objects.exists()
    response = client_of(make_user("administrator")).post(f"/api/servers/{server.pk}/reboot/")
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True and "reboot requested (harmless test command)" in response.json()["output"]
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.target, entry.status_code) == (
        "administrator",
        "server.reboot",
        f"pk={server.pk}",
        200,
    )


CONFIRMED = {
    "host_key_fingerprint": "SHA256:abc",
    "host_key_presented": "SHA256:abc",
    "host_key_confirmed_at": timezone.now(),
}


@pytest.mark.parametrize(
    "field, value",
    [
        ("host", "10.99.99.99"),
        ("port", 2222),
        ("user", "other"),
        ("key_path", "/root/.ssh/id_rsa"),
        ("python", "/bin/sh -c id;"),
        ("remote_root", "/"),
    ],
)
def test_changing_a_connection_field_through_the_api_withdraws_the_host_key_confirmation(
    field, value, make_user, client_of
):
    server = Server.objects.create(name="a", host="127.0.0.1", user="eb", **CONFIRMED)
    assert server.host_key_confirmed
    response = client_of(make_user("administrator")).patch(f"/api/servers/{server.pk}/", {field: value}, format="json")
    assert response.status_code == 200, response.content
    server.refresh_from_db()
    assert getattr(server, field) == value
    assert not server.host_key_confirmed and server.host_key_presented == "" and server.host_key_confirmed_by is None
    assert response.json()["host_key_confirmed"] is False


def test_other_edits_keep_the_confirmation_and_operators_cannot_edit(make_user, client_of):
    server = Server.objects.create(name="a", host="127.0.0.1", user="eb", **CONFIRMED)
    refused = client_of(make_user("operator")).patch(
        f"/api/servers/{server.pk}/", {"host": "10.99.99.99"}, format="json"
    )
    assert refused.status_code == 403
    response = client_of(make_user("administrator")).patch(f"/api/servers/{server.pk}/", {"max_jobs": 3}, format="json")
    assert response.status_code == 200
    server.refresh_from_db()
    assert server.host == "127.0.0.1" and server.max_jobs == 3 and server.host_key_confirmed


def test_a_partial_save_still_withdraws_the_confirmation():
    server = Server.objects.create(name="a", host="127.0.0.1", user="eb", **CONFIRMED)
    server.host = "10.0.0.2"
    server.save(update_fields=["host"])
    server.refresh_from_db()
    assert server.host == "10.0.0.2" and not server.host_key_confirmed


def test_an_admin_form_edit_withdraws_the_confirmation_and_is_audited(make_user, client):
    server = Server.objects.create(name="a", host="127.0.0.1", user="eb", **CONFIRMED)
    client.force_login(make_user("administrator"))
    form = {
        "name": "a",
        "host": "10.1.1.1",
        "port": 22,
        "user": "eb",
        "key_path": "",
        "remote_root": "epoch-builder",
        "python": "",
        "is_cluster_worker": "on",
        "max_jobs": 1,
        "actions-TOTAL_FORMS": 0,
        "actions-INITIAL_FORMS": 0,
        "actions-MIN_NUM_FORMS": 0,
        "actions-MAX_NUM_FORMS": 1000,
    }
    response = client.post(f"/admin/cluster/server/{server.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    server.refresh_from_db()
    assert server.host == "10.1.1.1" and not server.host_key_confirmed
    entry = AuditEntry.objects.get(action="cluster.server.change")
    assert (
        entry.interface == "admin"
        and entry.username == "administrator"
        and entry.params["values"]["host"] == "10.1.1.1"
    )
