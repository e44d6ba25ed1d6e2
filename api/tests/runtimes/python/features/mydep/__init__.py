# A pure-Python dependency shipped in the code zip (as `pip install -t .` would).
VERSION = "1.2.3"
