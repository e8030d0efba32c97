"""``python main.py bench``: a load generator for a Parley server, with a raw relay as its baseline."""
