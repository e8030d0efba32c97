"""The profile format before the encrypted database: one SQLite file with values sealed row by row.

Frozen: these modules are the old implementation, moved here unchanged (only
their imports point here now). Parley no longer creates such files; it reads
them once, to upgrade them in place (:mod:`storage.profile.upgrade`), and the
profile benchmark writes one to compare the two formats side by side.
"""
