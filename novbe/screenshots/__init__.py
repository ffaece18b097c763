"""Pictures of the apps' screens, drawn offscreen: ``python -m novbe.screenshots.<app> OUT_DIR``.

They live beside the launcher because they build what an app would get from the server
(a center's welcome, its queues) with the server's own code, which no app imports.
"""
