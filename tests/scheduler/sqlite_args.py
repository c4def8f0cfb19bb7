"""SQLAlchemy connect args for the test stack's SQLite metadata DB (``[database] sql_alchemy_connect_args``).

Scheduler, API server and CLI write the same file; wait for its lock instead of failing after 5 s.
"""

SYNC = {"timeout": 120, "check_same_thread": False}
ASYNC = {"timeout": 120}
