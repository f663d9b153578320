"""The notification queue's tables: jobs written on the booking's own transaction, claimed by workers.

``queue`` is what the domain calls (enqueue on the caller's cursor, cancel,
read); ``claims`` is the workers' protocol (claim, finish, release, rescue,
clean up). Neither imports the domain: a job's type is an opaque name here.
"""
