# Read by the flask command line in this checkout (never by gunicorn): development defaults.
# Real environment variables win; production sets COP_ENV=production and COP_SECRET_KEY.
COP_ENV=development
