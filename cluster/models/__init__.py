from cluster.models.job import Job
from cluster.models.server import Server, ServerAction

__all__ = ["Job", "Server", "ServerAction"]
