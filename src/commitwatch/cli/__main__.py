import os

from . import entry

os.environ.setdefault("PYTHONIOENCODING", "utf-8")
entry()
