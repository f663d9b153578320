"""The worker: claims due notification jobs, sends them by email and SMS, records what happened.

Modules are imported by name (``worker.runner``, ``worker.mail``, ...): this
package's import costs nothing, so reading ``worker.outcome`` does not load SMTP.
"""
