"""The WSGI entry point: gunicorn wsgi:app, flask --app wsgi <command>."""

import os

from cop import create_app
from cop.site.probes import report_unreachable

app = create_app()

if not os.environ.get("FLASK_RUN_FROM_CLI"):
    # Served (gunicorn): say at once what does not answer, and keep serving; /readyz tells the load balancer.
    report_unreachable(app)
