"""Roles: Django groups holding Django permissions, and what each part of the app requires.

    viewer         reads everything (pages, API, admin) but changes nothing
    operator       also runs the pipeline: imports, epochs, configs, training, selections,
                   searches, builds, exports, server pushes and pulls, job cancel and retry
    administrator  also manages servers (edits, host keys, power, kill), deletions, retraining,
                   users and the central epoch store
    worker         a scale-out worker's account: only the central epoch store's API

Roles are ordinary groups, so the admin's user form (groups) assigns them too; ``assign_role``
and :func:`role_assign` also set ``is_staff`` (the admin needs it; a worker never gets it).
The custom permissions belong to the models they act on (``cluster.power_server``); they and the
groups are created after every migrate (:func:`ensure_roles`, also ``manage.py setup_roles``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

VIEWER, OPERATOR, ADMINISTRATOR, WORKER = "viewer", "operator", "administrator", "worker"
ROLES = (VIEWER, OPERATOR, ADMINISTRATOR, WORKER)
APPS = ("cluster", "epochs", "regressions", "prediction_models")


@dataclass(frozen=True)
class CustomPermission:
    app_label: str
    model: str
    codename: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.codename}"


CUSTOM_PERMISSIONS = (
    CustomPermission("cluster", "job", "cancel_job", "Can cancel jobs"),
    CustomPermission("cluster", "job", "retry_job", "Can retry failed or cancelled jobs"),
    CustomPermission("cluster", "job", "run_selfcheck", "Can run the worker self-check"),
    CustomPermission("cluster", "job", "run_demo", "Can run the demo"),
    CustomPermission(
        "cluster", "server", "use_server", "Can check servers, run checks on them, push to and pull from them"
    ),
    CustomPermission("cluster", "server", "trust_server", "Can fetch and confirm host keys and install keys"),
    CustomPermission("cluster", "server", "power_server", "Can reboot and shut down servers"),
    CustomPermission("cluster", "server", "kill_server_jobs", "Can kill the jobs a server runs"),
    CustomPermission("cluster", "server", "use_epoch_store", "Can read and write the central epoch store"),
    CustomPermission("epochs", "candlestickset", "import_candles", "Can import candles"),
    CustomPermission("epochs", "epoch", "export_epoch", "Can export and verify Epoch Files"),
    CustomPermission("epochs", "epochexport", "withdraw_export", "Can withdraw an export (the epoch may change again)"),
    CustomPermission("regressions", "trainingbatch", "generate_configs", "Can generate regression training configs"),
    CustomPermission("regressions", "trainingbatch", "train_batch", "Can train regressions"),
    CustomPermission(
        "regressions", "regression", "retrain_regression", "Can retrain regressions (their files are deleted)"
    ),
    CustomPermission(
        "prediction_models", "predictionmodelsearch", "find_profitable_configs", "Can search for profitable configs"
    ),
    CustomPermission(
        "prediction_models", "predictionmodelsearch", "build_prediction_models", "Can build prediction models"
    ),
    CustomPermission(
        "prediction_models", "predictionmodelsearch", "export_assets", "Can export a search's assets as JSON"
    ),
    CustomPermission(
        "prediction_models", "predictionmodel", "run_forward_test", "Can run forward tests of built models"
    ),
)

OPERATOR_PERMISSIONS = (
    "cluster.cancel_job",
    "cluster.retry_job",
    "cluster.run_selfcheck",
    "cluster.run_demo",
    "cluster.use_server",
    "epochs.import_candles",
    "epochs.add_epoch",
    "epochs.export_epoch",
    "regressions.generate_configs",
    "regressions.train_batch",
    "regressions.add_regressionselection",
    "prediction_models.add_predictionmodelsearch",
    "prediction_models.find_profitable_configs",
    "prediction_models.build_prediction_models",
    "prediction_models.export_assets",
    "prediction_models.run_forward_test",
)
ADMINISTRATOR_PERMISSIONS = (
    "cluster.add_server",
    "cluster.change_server",
    "cluster.trust_server",
    "cluster.power_server",
    "cluster.kill_server_jobs",
    "cluster.use_epoch_store",
    "regressions.retrain_regression",
    "epochs.withdraw_export",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    "auth.view_group",
    "auth.view_permission",
    "knox.view_authtoken",
    "knox.delete_authtoken",
    "accounts.view_auditentry",
)
WORKER_PERMISSIONS = ("cluster.use_epoch_store",)


def _model_permissions(kind: str) -> tuple[str, ...]:
    """``<kind>_<model>`` of every model of the pipeline's apps."""
    return tuple(
        f"{label}.{kind}_{model._meta.model_name}"
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    )


def _viewer_permissions() -> tuple[str, ...]:
    """``view_<model>`` of every model of the pipeline's apps (not users, tokens or the audit log)."""
    return _model_permissions("view")


def role_permissions(role: str) -> tuple[str, ...]:
    """Every permission a role grants, as ``app_label.codename``."""
    if role == WORKER:
        return WORKER_PERMISSIONS
    if role == VIEWER:
        return _viewer_permissions()
    if role == OPERATOR:
        return _viewer_permissions() + OPERATOR_PERMISSIONS
    if role == ADMINISTRATOR:
        deletions = tuple(p for p in _model_permissions("delete") if p not in ADMINISTRATOR_PERMISSIONS)
        return _viewer_permissions() + OPERATOR_PERMISSIONS + ADMINISTRATOR_PERMISSIONS + deletions
    raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def ensure_roles() -> None:
    """Create the custom permissions and the four groups with exactly their role's permissions."""
    for perm in CUSTOM_PERMISSIONS:
        content_type = ContentType.objects.get_by_natural_key(perm.app_label, perm.model)
        Permission.objects.update_or_create(
            content_type=content_type, codename=perm.codename, defaults={"name": perm.name}
        )
    for role in ROLES:
        wanted = role_permissions(role)
        found = {
            f"{p.content_type.app_label}.{p.codename}": p
            for p in Permission.objects.select_related("content_type").filter(
                codename__in=[w.split(".", 1)[1] for w in wanted]
            )
        }
        missing = [w for w in wanted if w not in found]
        if missing:
            raise RuntimeError(f"the {role} role names permissions that do not exist: {', '.join(missing)}")
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([found[w] for w in wanted])


def ensure_roles_after_migrate(sender, **kwargs) -> None:
    # Once, after this app (the last one installed) migrated: every content type exists then.
    if sender.name == "accounts":
        ensure_roles()


def role_of(user) -> str | None:
    """The user's role (the highest one, should several groups be set), or None."""
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return next((role for role in (ADMINISTRATOR, OPERATOR, VIEWER, WORKER) if role in names), None)


def role_assign(user, role: str):
    """Give ``user`` exactly one role: its group, and staff status for the admin unless a worker."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    group = Group.objects.filter(name=role).first()
    if group is None:
        ensure_roles()
        group = Group.objects.get(name=role)
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(pk=group.pk))
    user.groups.add(group)
    user.is_staff = role != WORKER
    user.save(update_fields=["is_staff"])
    # Django caches permissions on the instance: forget them.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


# --- What the API requires --------------------------------------------------------------------
# A viewset's list/retrieve need view_<model>, create add_, update change_, destroy delete_
# (DjangoModelPermissions, with reads guarded too). Its other actions are placed here by
# "<router basename>.<action>"; an unsafe action missing here is refused to everyone but
# superusers, so a new endpoint must be placed before anyone can use it. Plain API views are
# placed by class name.
API_ACTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "job.cancel": ("cluster.cancel_job",),
    "job.retry": ("cluster.retry_job",),
    "job.selfcheck": ("cluster.run_selfcheck",),
    "server.status": ("cluster.view_server",),  # GET: stored status; POST: check now (below)
    "server.fetch_host_key": ("cluster.trust_server",),
    "server.confirm_host_key": ("cluster.trust_server",),
    "server.install_key": ("cluster.trust_server",),
    "server.reboot": ("cluster.power_server",),
    "server.shutdown": ("cluster.power_server",),
    "server.reboot_all": ("cluster.power_server",),
    "server.shutdown_all": ("cluster.power_server",),
    "server.kill": ("cluster.kill_server_jobs",),
    "server.selfcheck": ("cluster.use_server",),
    "server.push": ("cluster.use_server",),
    "server.pull": ("cluster.use_server",),
    "epoch-store.inputs": ("cluster.use_epoch_store",),
    "epoch-store.file": ("cluster.use_epoch_store",),
    "epoch-store.regression": ("cluster.use_epoch_store",),
    "epoch-store.batched_certificate": ("cluster.use_epoch_store",),
    "candlestick-set.import_candles": ("epochs.import_candles",),
    "candlestick-set.import_bundle": ("epochs.import_candles",),
    "epoch.export": ("epochs.export_epoch",),
    "epoch.withdraw_export": ("epochs.withdraw_export",),
    "epoch-file.inspect": ("epochs.view_epochexport",),
    "training-batch.train": ("regressions.train_batch",),
    "training-batch.train_all": ("regressions.train_batch",),
    "training-batch.generate": ("regressions.generate_configs",),
    # The deprecated alias /api/regression-batches/ (regressions/api/deprecated.py).
    "regression-batch.train": ("regressions.train_batch",),
    "regression-batch.train_all": ("regressions.train_batch",),
    "regression-batch.generate": ("regressions.generate_configs",),
    "regression.retrain": ("regressions.retrain_regression",),
    "prediction-model-search.find": ("prediction_models.find_profitable_configs",),
    "prediction-model-search.build": ("prediction_models.build_prediction_models",),
    "prediction-model-search.export_assets": ("prediction_models.export_assets",),
    "prediction-model.forward_test": ("prediction_models.run_forward_test",),
    "DemoView": ("cluster.run_demo",),
    # The schema and its documentation: for people who read the API, not for workers.
    "APIRootView": ("epochs.view_epoch",),
    "SpectacularAPIView": ("epochs.view_epoch",),
    "SpectacularSwaggerView": ("epochs.view_epoch",),
    "SpectacularRedocView": ("epochs.view_epoch",),
}
# Unsafe methods of actions whose reads need less than their writes.
API_WRITE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "server.status": ("cluster.use_server",),
}

# Operations recorded in the audit log (they delete, overwrite, power off or kill), by the same keys.
AUDITED_API_OPERATIONS = frozenset(
    {
        "epoch.destroy",
        "epoch.withdraw_export",
        "regression.retrain",
        "server.create",
        "server.update",
        "server.partial_update",
        "server.destroy",
        "server.reboot",
        "server.shutdown",
        "server.reboot_all",
        "server.shutdown_all",
        "server.kill",
        "server.install_key",
        "server.fetch_host_key",
        "server.confirm_host_key",
        "server.pull",
        "job.cancel",
        "token.destroy",
    }
)

# --- What the pages require, by URL name (any other page: DEFAULT_PAGE_PERMISSION) ------------
PAGE_PERMISSIONS: dict[str, str | None] = {
    "dashboard": "epochs.view_epoch",
    "jobs-page": "cluster.view_job",
    "job-detail": "cluster.view_job",
    "servers-page": "cluster.view_server",
    "server-detail": "cluster.view_server",
    "epochs-page": "epochs.view_epoch",
    "epoch-detail": "epochs.view_epoch",
    "epoch-download-page": "epochs.view_epochexport",
    "candles": "epochs.view_candlestickset",
    "epoch-file-inspect-page": "epochs.view_epochexport",
    "regression-home": "regressions.view_regression",
    "regression-batch": "regressions.view_trainingbatch",
    "regression-detail": "regressions.view_regression",
    "regression-selection": "regressions.view_regressionselection",
    "prediction-model-home": "prediction_models.view_predictionmodelsearch",
    "prediction-model-search": "prediction_models.view_predictionmodelsearch",
    "prediction-model-detail": "prediction_models.view_predictionmodel",
    "prediction-models-page": "prediction_models.view_predictionmodel",
    "prediction-model-report": "prediction_models.view_predictionmodel",
    "prediction-model-compare": "prediction_models.view_predictionmodel",
    "prediction-model-trades-csv": "prediction_models.view_predictionmodel",
    "regression-leaderboard": "regressions.view_regression",
    "regression-compare": "regressions.view_regression",
    "regression-analysis": "regressions.view_regression",
    "glossary": "epochs.view_epoch",
    # Every account manages its own API tokens and logs out, whatever its role.
    "account-tokens": None,
    "account-token-revoke": None,
    "login": None,
    "logout": None,
}
DEFAULT_PAGE_PERMISSION = "epochs.view_epoch"

# --- What the admin's actions require, by "<app_label>.<model_name>.<action>" -----------------
# Django's own delete_selected checks the delete permission itself; any other action missing
# here is offered to superusers only.
ADMIN_ACTION_PERMISSIONS: dict[str, str] = {
    "cluster.job.cancel_jobs": "cluster.cancel_job",
    "cluster.job.retry_jobs": "cluster.retry_job",
    "cluster.server.fetch_host_key": "cluster.trust_server",
    "cluster.server.confirm_host_key": "cluster.trust_server",
    "cluster.server.install_key": "cluster.trust_server",
    "cluster.server.check_status": "cluster.use_server",
    "cluster.server.run_selfcheck": "cluster.use_server",
    "cluster.server.push_code": "cluster.use_server",
    "cluster.server.push_everything": "cluster.use_server",
    "cluster.server.pull_trained_regressions": "cluster.use_server",
    "cluster.server.pull_profitable_configs": "cluster.use_server",
    "cluster.server.kill_jobs": "cluster.kill_server_jobs",
    "cluster.server.reboot": "cluster.power_server",
    "cluster.server.shutdown": "cluster.power_server",
    "epochs.candlestickset.refresh_summary": "epochs.import_candles",
    "epochs.epoch.delete_with_files": "epochs.delete_epoch",
    "epochs.epoch.generate_configs": "regressions.generate_configs",
    "epochs.epoch.export_epoch": "epochs.export_epoch",
    "epochs.epochexport.verify_again": "epochs.export_epoch",
    "regressions.trainingbatch.train": "regressions.train_batch",
    "regressions.regression.retrain": "regressions.retrain_regression",
    "regressions.regressionselection.initialize_prediction_models_action": "prediction_models.add_predictionmodelsearch",
    "prediction_models.predictionmodelsearch.find": "prediction_models.find_profitable_configs",
    "prediction_models.predictionmodelsearch.build": "prediction_models.build_prediction_models",
    "prediction_models.predictionmodelsearch.export_json": "prediction_models.export_assets",
    "auth.user.make_viewer": "auth.change_user",
    "auth.user.make_operator": "auth.change_user",
    "auth.user.make_administrator": "auth.change_user",
    "auth.user.make_worker": "auth.change_user",
}
# django-q2's own broker records: resubmitting one bypasses the Job table, so superusers only.
SUPERUSER_ADMIN_ACTIONS = frozenset({"django_q.success.resubmit_task", "django_q.failure.resubmit_task"})
AUDITED_ADMIN_ACTIONS = frozenset(
    {
        "epochs.epoch.delete_with_files",
        "regressions.regression.retrain",
        "cluster.server.kill_jobs",
        "cluster.server.reboot",
        "cluster.server.shutdown",
        "cluster.server.install_key",
        "cluster.server.fetch_host_key",
        "cluster.server.confirm_host_key",
        "cluster.job.cancel_jobs",
    }
)
