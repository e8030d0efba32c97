"""The one error of the end-to-end format: something that came in is not in it.

It lives apart from :mod:`net.client.core.envelope` so that the parsers of the
group payloads (:mod:`net.client.core.group_changes`) raise the same family of
error without importing the envelope, which imports them.
"""

from __future__ import annotations


class MalformedEnvelope(Exception):
    """A body or payload is not in this format. Says which part, never what it held."""
