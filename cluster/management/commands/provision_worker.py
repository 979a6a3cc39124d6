import os

from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import token_revoke_exact, worker_account_token
from cluster.models import Server
from cluster.services.provisioning import worker_provision
from core.cli import bounded
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Install a scale-out worker on a server over SSH: push the code, create <remote root>/venv and install "
        "the requirements (or use --python), and write its .env (DATABASE_URL, REDIS_URL, CENTRAL_URL, "
        "CENTRAL_TOKEN, EPOCA_VAR_DIR). The token comes from --central-token or the CENTRAL_TOKEN environment "
        "variable; without either, a new token of the worker account (--worker-account, created with the worker role "
        "if new) is made. It is stored on the server only."
    )

    def add_arguments(self, parser):
        parser.add_argument("server", help="Server name.")
        parser.add_argument(
            "--central-url", required=True, help="Base URL of the central web app, as the worker reaches it."
        )
        parser.add_argument(
            "--central-token",
            default="",
            help="API token of a worker account (default: $CENTRAL_TOKEN, else a new one).",
        )
        parser.add_argument(
            "--worker-account", default="", help="Worker account the new token belongs to (default: worker-<server>)."
        )
        parser.add_argument("--database-url", required=True, help="The shared PostgreSQL, as the worker reaches it.")
        parser.add_argument(
            "--redis-url", default="", help="The shared Redis, as the worker reaches it (default: the ORM broker)."
        )
        parser.add_argument(
            "--python", default="", help="Use this existing interpreter on the server: no virtualenv, no pip."
        )
        parser.add_argument(
            "--worker-processes", type=bounded(int, 1, 256), help="django-q2 worker processes on that machine."
        )

    def handle(
        self,
        *args,
        server,
        central_url,
        central_token,
        database_url,
        redis_url,
        python,
        worker_processes,
        worker_account,
        **options,
    ):
        row = Server.objects.filter(name=server).first()
        if row is None:
            raise CommandError(f"No server named {server!r}.")
        token = central_token or os.environ.get("CENTRAL_TOKEN", "")
        made = None
        if not token:
            made = worker_account or f"worker-{row.name}"
            token = worker_account_token(made)
        try:
            summary = worker_provision(
                server=row,
                central_url=central_url,
                central_token=token,
                database_url=database_url,
                redis_url=redis_url,
                python=python,
                worker_processes=worker_processes,
            )
        except ApplicationError as exc:
            if made:  # the token made for this worker never reached it
                token_revoke_exact(token)
            raise CommandError(exc.message) from None
        if made:
            self.stdout.write(
                f"The worker uses a new token of the worker account {made!r} (stored on the server only)."
            )
        self.stdout.write(summary)
        self.stdout.write(self.style.SUCCESS(f"Worker provisioned on {row.name}."))
