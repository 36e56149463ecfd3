"""Consent records; later: subject access export, erasure and retention."""

import logging

log = logging.getLogger(__name__)
