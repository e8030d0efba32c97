"""Pure cryptography for Parley: keys, PQXDH, the Double Ratchet, sealing, safety numbers.

No I/O lives here. Every module depends only on the standard library and
``cryptography``; randomness and time are injectable so that known-answer
tests can pin every format.
"""
