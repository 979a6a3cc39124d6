from cluster.selectors import workers_alive


def worker_status(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"workers_alive": workers_alive()}
