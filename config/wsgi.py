import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the URLconf, spaCy once imported) lives as long as
# the process: moving it out of the collector's generations keeps full collections
# short on the request path and lets forked gunicorn workers share those pages.
gc.freeze()
