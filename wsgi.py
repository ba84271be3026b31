"""The WSGI entry point: gunicorn wsgi:app, flask --app wsgi <command>."""

from cop import create_app

app = create_app()
