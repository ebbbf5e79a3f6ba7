import os

from django.core.wsgi import get_wsgi_application

# As in manage.py: files Frontline writes are its user's only (0600, folders 0700).
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
application = get_wsgi_application()
