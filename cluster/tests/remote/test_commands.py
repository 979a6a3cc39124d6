import os
from pathlib import Path

import pytest

from cluster.remote.commands import (
    expand_remote_root,
    join,
    mkdir_p,
    normalize_root,
    quote,
    remote_path,
    run_checked,
)
from cluster.remote.connection import connect
from cluster.remote.errors import RemoteCommandError, UnsafeRemotePathError

ROOT = "/srv/eb root; touch pwned"


@pytest.mark.parametrize(
    "parts",
    [
        ("..",),
        ("a/../../x",),
        ("../etc",),
        ("/etc/passwd",),
        ("",),
        ("a\x00b",),
        ("a\nb",),
        ("a", ".."),
    ],
)
def test_remote_path_refuses_escapes(parts):
    with pytest.raises(UnsafeRemotePathError):
        remote_path(ROOT, *parts)


@pytest.mark.parametrize("root", ["relative/root", "", "/", "//", "/a\nb"])
def test_remote_root_must_be_absolute_and_not_slash(root):
    with pytest.raises(UnsafeRemotePathError):
        normalize_root(root)


def test_remote_path_normalises_inside_root():
    assert remote_path(ROOT) == ROOT
    assert remote_path(ROOT + "/", "a/./b", "c.json") == ROOT + "/a/b/c.json"
    assert remote_path("/srv//x/", "y") == "/srv/x/y"


def test_nasty_remote_root_injects_nothing(ssh_servers):
    spec = ssh_servers.specs[0]
    assert ";" in spec.remote_root and " " in spec.remote_root and "'" in spec.remote_root
    deep = remote_path(spec.remote_root, "sub dir/$(x)")
    with connect(spec, ssh_servers.known_hosts_path) as conn:
        mkdir_p(conn, [deep])
        run_checked(conn, join(["touch", "--", remote_path(deep, "f;g")]))
        listing = run_checked(conn, join(["ls", "-A", "--", deep]))
        assert expand_remote_root(conn, spec.remote_root) == spec.remote_root
        with pytest.raises(RemoteCommandError) as failure:
            run_checked(conn, f"ls -- {quote(remote_path(spec.remote_root, 'missing'))}")
    assert failure.value.exit_code != 0 and "missing" in failure.value.stderr
    assert listing.split("\n")[0] == "f;g"
    # The server is this machine: check the filesystem directly.
    assert Path(spec.remote_root, "sub dir", "$(x)", "f;g").is_file()
    assert not ssh_servers.pwned_marker.exists()
    assert not Path(os.path.expanduser("~"), "pwned").exists()


def test_expand_remote_root_uses_login_home(ssh_servers):
    spec = ssh_servers.specs[1]
    with connect(spec, ssh_servers.known_hosts_path) as conn:
        assert expand_remote_root(conn, "~/epoch-builder") == os.path.join(os.path.expanduser("~"), "epoch-builder")
        assert expand_remote_root(conn, "epoch-builder") == os.path.join(os.path.expanduser("~"), "epoch-builder")
        with pytest.raises(UnsafeRemotePathError):
            expand_remote_root(conn, "~/../etc")
