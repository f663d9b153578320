"""The salon's rules: salons, users, staff, services, clients, appointments and availability.

Functions here take a ``db.Database`` (or a cursor inside a transaction) and
plain values, and return dataclasses. Nothing here knows about HTTP.
"""
