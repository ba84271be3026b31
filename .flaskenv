# Read by the flask command line in this checkout (never by gunicorn): development defaults.
# Real environment variables win; production sets COP_ENV=production and COP_SECRET_KEY.
COP_ENV=development
# The demo site admin's address, for the accessibility statement's contact line in a checkout.
COP_CONTACT_EMAIL=admin@cop.example
