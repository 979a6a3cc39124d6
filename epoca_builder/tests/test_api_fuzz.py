"""Schema fuzzing of every API operation (schemathesis, in process) on the demo's data.

No answer may be a server error, and every answer must match the schema (its status code
documented, its body valid). Servers are the loopback sshd pair of the cluster tests; their
power actions run the test settings' harmless command.
"""

import shutil

import pytest
from django.core.wsgi import get_wsgi_application
from knox.models import AuthToken

from testing.demo import load_demo_rows
from testing.fuzzing import assert_power_commands_are_harmless, demo_path_parameters, fuzz_api
from testing.servers import make_server

pytestmark = [pytest.mark.django_db, pytest.mark.ssh, pytest.mark.slow]

EXAMPLES = 25  # positive cases per operation, and as many negative ones


def test_schema_fuzzing_finds_no_server_error_and_no_schema_violation(
    demo_run, ssh_servers, settings, tmp_path, django_user_model, suite_report
):
    assert_power_commands_are_harmless(settings.SERVER_POWER_COMMANDS)

    # A private copy of the demo's files: retraining, deleting and uploads change them.
    epoch_id = demo_run.result["epoch"]
    source = settings.EPOCHS_ROOT / epoch_id
    settings.EPOCHS_ROOT = tmp_path / "epochs"
    shutil.copytree(source, settings.EPOCHS_ROOT / epoch_id, symlinks=True)
    settings.SSH_DIR = tmp_path / "ssh"
    settings.SSH_AUTHORIZED_KEYS_FILE = str(tmp_path / "authorized_keys")
    load_demo_rows(demo_run)
    server = make_server(ssh_servers.specs[0])
    make_server(ssh_servers.specs[1])

    fuzzer = django_user_model.objects.create_superuser("fuzzer", password="pw-for-tests")
    other = django_user_model.objects.create_superuser("fuzzer-logouts", password="pw-for-tests")
    report = fuzz_api(
        get_wsgi_application(),
        token=AuthToken.objects.create(fuzzer)[1],
        throwaway_token=lambda: AuthToken.objects.create(other)[1],
        examples=EXAMPLES,
        path_parameters=demo_path_parameters(epoch_id, server.pk),
    )
    suite_report(report.summary())
    assert report.operations >= 70 and report.cases >= report.operations * EXAMPLES
    assert report.failures["server error"] == 0, report.summary()
    assert report.failures["response schema"] == 0, report.summary()
    assert report.failures["status code"] == 0, report.summary()
    assert report.failures["content type"] == 0, report.summary()


def test_the_safety_check_refuses_a_real_power_command():
    with pytest.raises(AssertionError):
        assert_power_commands_are_harmless({"reboot": ("sudo", "-n", "reboot"), "shutdown": ("echo", "x")})
    assert_power_commands_are_harmless({"reboot": ("echo", "reboot"), "shutdown": ("echo", "shutdown")})
