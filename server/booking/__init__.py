"""Bookings from outside the hall: the booking API (HTTP JSON in the hall server's process,
``novbe server --booking-port``) and ``novbe appointments`` (import a CSV, list, a token).
docs/appointments.md describes both."""
