import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far lives as long as the process: moving it out of the
# collector's generations keeps full collections short on the request path and lets
# forked gunicorn workers share those pages. A comparison page builds tens of
# thousands of short-lived objects; with the default young-generation threshold (700)
# it triggers dozens of collections per request, which showed as a p95 about twice the
# p50 (docs/performance.md).
gc.freeze()
gc.set_threshold(int(os.environ.get("GC_GEN0_THRESHOLD", "50000")), 20, 100)
