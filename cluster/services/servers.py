"""Actions on cluster servers over SSH, one module per job (``server_*.py``), gathered here:
host keys, status, power, kill, key install, checks, push and pull.

Every action connects with the admin-confirmed host key only (a changed key stops them all)
and leaves a `ServerAction` row saying who ran it and how it ended.
"""

from __future__ import annotations

from cluster.services.server_checks import (  # noqa: F401
    _CHECKS,
    ServerCheck,
    server_check_register,
    server_check_run,
    server_checks,
)
from cluster.services.server_code import (  # noqa: F401
    CODE_DIR,
    CODE_EXCLUDES,
    Progress,
    code_files,
    push_code,
    staged,
)
from cluster.services.server_keys import (  # noqa: F401
    _authorized_keys_target,
    server_host_key_confirm,
    server_host_key_fetch,
    server_install_key,
)
from cluster.services.server_power import (  # noqa: F401
    server_kill_job,
    server_power,
    servers_power_all,
)
from cluster.services.server_scheduling import (  # noqa: F401
    server_pick,
    server_reachable,
)
from cluster.services.server_sessions import (  # noqa: F401
    UNREACHABLE,
    ServerUnreachableError,
    _mark_offline,
    _record,
    _run_action,
    app_key_path,
    app_public_key,
    known_hosts_path,
    refusal,
    server_connect,
    server_python,
    server_session,
    server_spec,
)
from cluster.services.server_status import (  # noqa: F401
    _running_jobs,
    remote_process_of,
    server_connection_details,
    server_log_chunk,
    server_status_cached,
    server_status_refresh,
    status_summary,
)
from cluster.services.server_transfers import (  # noqa: F401
    CODE_TARGETS,
    EpochTransfer,
    epoch_folder_register,
    pull_target_register,
    pull_targets,
    push_target_register,
    push_targets,
    remote_epoch_dirs_register,
    remote_epoch_rel,
    server_pull,
    server_pull_enqueue,
    server_push,
    server_push_enqueue,
)
