"""The servers API and pages: administrator-only actions, live status and log, push/pull as jobs."""

from unittest import mock

import pytest
from rest_framework.test import APIClient

from cluster.models import Job, ServerAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(make_user):
    admin = make_user("administrator", "root-admin")
    client = APIClient()
    client.force_authenticate(admin)
    return client


def test_trust_power_kill_and_key_actions_need_an_administrator(servers, api_client):
    a = servers[0]
    for path in ("fetch-host-key", "confirm-host-key", "reboot", "shutdown", "kill", "install-key"):
        assert api_client.post(f"/api/servers/{a.pk}/{path}/").status_code == 403, path
    for path in ("reboot-all", "shutdown-all"):
        assert api_client.post(f"/api/servers/{path}/").status_code == 403
    assert not ServerAction.objects.exists()


def test_status_log_details_and_jobs_through_the_api(servers, api_client, staff_client):
    a, b = servers
    status = api_client.get(f"/api/servers/{a.pk}/status/").json()
    assert status["online"] is True and status["jobs"] == []
    live = {row["id"]: row for row in api_client.get("/api/servers/live/").json()}
    assert live[a.pk]["status"]["online"] is True and live[b.pk]["status"] == {}
    assert api_client.post(f"/api/servers/{a.pk}/status/").json()["online"] is True
    actions = api_client.get(f"/api/servers/{a.pk}/actions/").json()
    assert [row["action"] for row in actions] == ["status"] and actions[0]["user"] == "trader"
    assert api_client.get(f"/api/servers/{a.pk}/connection/").json()["command"].startswith("ssh -i ")
    assert api_client.get(f"/api/servers/{a.pk}/log/?offset=0").json() == {
        "job": None,
        "text": "",
        "next_offset": 0,
        "size": 0,
        "restarted": False,
    }
    with mock.patch("cluster.services.jobs._send"):
        push = api_client.post(f"/api/servers/{b.pk}/push/", {"what": ["code"]}, format="json")
        check = api_client.post(f"/api/servers/{b.pk}/selfcheck/", {}, format="json")
        pull = api_client.post(f"/api/servers/{b.pk}/pull/", {"what": ["profitable_configs"]}, format="json")
    assert push.status_code == 202 and push.json()["kind"] == "cluster.push" and push.json()["where"] == b.name
    assert check.status_code == 202 and Job.objects.get(pk=check.json()["id"]).params["child_process"] is True
    assert pull.status_code == 400 and "epoch" in pull.json()
    refused = staff_client.post(f"/api/servers/{a.pk}/confirm-host-key/", {"fingerprint": "SHA256:x"}, format="json")
    assert refused.status_code == 400 and "Fetch the host key" in refused.json()["message"]
    fetched = staff_client.post(f"/api/servers/{a.pk}/fetch-host-key/").json()
    assert fetched["host_key_presented"] == a.host_key_fingerprint


def test_server_pages_render(servers, client, make_user):
    client.force_login(make_user("viewer"))
    a = servers[0]
    listing = client.get("/servers/")
    assert listing.status_code == 200 and f'data-server-id="{a.pk}"' in listing.content.decode()
    detail = client.get(f"/servers/{a.pk}/").content.decode()
    assert f'data-server-log="{a.pk}"' in detail and "Push" in detail and "Reboot" in detail


def test_admin_actions_run_the_services(servers, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(username="boss", password="pw"))
    a = servers[0]
    url = "/admin/cluster/server/"
    response = client.post(url, {"action": "check_status", "_selected_action": [a.pk]}, follow=True)
    assert next(str(m) for m in response.context["messages"]).startswith(f"{a.name}: online; jobs: not running")
    response = client.post(url, {"action": "install_key", "_selected_action": [a.pk], "key_path": ""}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"{a.name}: Give the path of a key the server accepts now."
    ]
    assert ServerAction.objects.filter(server=a, action="status", ok=True, user__username="boss").count() == 1
