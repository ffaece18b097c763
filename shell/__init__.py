"""What every desktop app shares on top of ``wire.session``: the Qt side.

``shell.bridge`` hands the hall client's callbacks to the GUI thread; ``shell.main``
is the one ``main()`` of the apps: arguments, the device file, logging, the
QApplication, signals and the clean stop; ``shell.multimedia`` loads QtMultimedia when it
can.
"""
