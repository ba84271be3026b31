"""The app as gunicorn serves it, plus one route that exists only in the federation benchmark: a POST that reads
its body and does nothing else. The inbox's verified POSTs are compared with it: the cost of taking a POST at all."""

from __future__ import annotations

from flask import request

from cop.extensions import csrf
from wsgi import app


@app.route("/bench/noop", methods=["POST"])
@csrf.exempt
def noop():
    request.get_data()
    return "", 202
