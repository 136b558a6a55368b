"""vipchaos: chaos tests for a MySQL GTID dual-master pair behind a keepalived VIP.

Real containers, real mysqld, real keepalived, real faults; verdicts come from checkers that read
a recorded history (see ``harness.history``).
"""

__version__ = "0.1.0"
