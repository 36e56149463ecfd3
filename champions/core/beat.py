"""Celery beat that runs once at a time: it holds a lease in the database while it sends periodic tasks.

A second beat (a supervisor restarting one that is not quite dead, two hosts, a leftover embedded beat) waits
for the lease before it even opens its schedule file, and takes over when the holder stops renewing it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from celery.beat import PersistentScheduler

from champions.core.celery import FlaskCelery
from champions.core.locks import acquire_lease, release_lease, renew_lease

LEASE = "celery-beat"
log = logging.getLogger(__name__)


class LeasedScheduler(PersistentScheduler):
    app: FlaskCelery  # beat runs the app that celery_init_app made
    owner = ""

    def _ttl(self) -> timedelta:
        return timedelta(seconds=self.app.flask_app.config["BEAT_LEASE_SECONDS"])

    def _wait_for_lease(self) -> None:
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        waited = False
        while True:
            with self.app.flask_app.app_context():
                if acquire_lease(LEASE, self.owner, self._ttl()):
                    break
            if not waited:
                log.warning("beat: another beat holds the lease; waiting until it stops (%s)", self.owner)
                waited = True
            time.sleep(min(5.0, self._ttl().total_seconds() / 3))
        log.info("beat: holding the beat lease as %s", self.owner)

    def setup_schedule(self) -> None:
        self._wait_for_lease()
        super().setup_schedule()

    def tick(self, *args, **kwargs) -> float:
        with self.app.flask_app.app_context():
            if not renew_lease(LEASE, self.owner, self._ttl()):
                # Another beat took over while this one was stalled: stop, and let the supervisor restart us.
                log.error("beat: lost the beat lease; stopping so that only one beat sends tasks")
                raise SystemExit(1)
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        if self.owner:
            with self.app.flask_app.app_context():
                release_lease(LEASE, self.owner)
