"""HTTP only: the JSON API, the front desk's pages, health and metrics."""
