"""Who did what: a tamper-evident, append-only audit log of requests and state changes.

``record(settings, "dataset.built", target=name)`` appends one row; :func:`verify` recomputes the hash
chain and names the first row that was edited, deleted or reordered.
"""

from agenthone.audit._log import AuditEntry, AuditVerification, audit_path, entries, record, verify

__all__ = ["AuditEntry", "AuditVerification", "audit_path", "entries", "record", "verify"]
