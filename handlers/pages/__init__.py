"""Server-rendered pages for the front desk."""

from tornado.routing import Rule

ROUTES: list[Rule | tuple] = []
