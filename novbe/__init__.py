"""The novbe command: the launcher above the server and the apps.

``novbe init``, ``novbe server``, ``novbe kiosk`` ... and ``novbe demo`` start here; the
server imports no app and no app imports the server.
"""
