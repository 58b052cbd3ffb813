"""Connector tests. Shared helpers: the providers' base URLs and an `OutboundHttp` on a fake clock."""

from tests.outbound import API_PARTICULIER_BASE, CNAM_BASE, make_http

__all__ = ["API_PARTICULIER_BASE", "CNAM_BASE", "make_http"]
