"""The WSGI application gunicorn serves; loads the URLconf at once so a forked worker starts ready."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")

application = get_wsgi_application()

# Django imports the URLconf (and with it every view, the API's routers and their schemas) on the first
# request, which took a new worker 0.8 s. Imported here, under `gunicorn --preload` it is done once in the
# master and every worker is forked with it (no database connection is opened by this).
get_resolver().url_patterns  # noqa: B018 - the import is the point
