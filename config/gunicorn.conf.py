"""gunicorn settings read by bin/run and the README's production command (`gunicorn --config config/gunicorn.conf.py`).

gunicorn names itself in a `Server` header on every response; the OWASP Secure Headers Project advises against
saying which server software (and so which known flaws) answers. gunicorn has no setting for it: the header's
value is the module constant below, read when a response is made, so it is replaced here before any is.
"""

import gunicorn
import gunicorn.http.wsgi

SERVER_HEADER = "Champions"

gunicorn.SERVER = SERVER_HEADER
gunicorn.http.wsgi.SERVER = SERVER_HEADER  # the response module took its own copy of the name when imported
