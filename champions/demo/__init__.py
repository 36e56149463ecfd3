"""Realistic demo data for Greater Manchester, for trying the service and for screenshots."""
