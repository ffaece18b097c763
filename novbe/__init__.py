"""The novbe command: the launcher above the server and the apps.

``novbe init``, ``novbe server``, ``novbe kiosk`` ... and ``novbe demo`` start here
(``cli``); ``demo`` runs the whole hall on one machine, and ``process`` runs ``novbe server``
as a child process for the demo, the screenshot scripts, the benchmarks and the tests. The
launcher may import everything; the server imports no app and no app imports the server
(import-linter's contracts in pyproject.toml).
"""
