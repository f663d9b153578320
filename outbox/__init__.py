"""The built-in outbox: a mail catcher on loopback and the SMS stand-in, both kept in PostgreSQL."""
